import { apiKeyVerifyProcedure } from "./procedures/api-key-verify.ts";
import { hubByIdProcedure } from "./procedures/hub-by-id.ts";
import { hubBySerialProcedure } from "./procedures/hub-by-serial.ts";
import { hubEventsProcedure } from "./procedures/hub-events.ts";
import { provisionHubProcedure } from "./procedures/provision-hub.ts";
import { router } from "./trpc.ts";

export const appRouter = router({
  hub: router({
    provision: provisionHubProcedure,
    byId: hubByIdProcedure,
    bySerial: hubBySerialProcedure,
    events: hubEventsProcedure,
  }),
  apiKeys: router({ verify: apiKeyVerifyProcedure }),
});

export type AppRouter = typeof appRouter;
