import { apiKeyVerifyProcedure } from "./procedures/api-key-verify.ts";
import { eventFeedProcedure } from "./procedures/event-feed.ts";
import { hubByIdProcedure } from "./procedures/hub-by-id.ts";
import { hubBySerialProcedure } from "./procedures/hub-by-serial.ts";
import { hubEventsProcedure } from "./procedures/hub-events.ts";
import { hubLastEventsProcedure } from "./procedures/hub-last-events.ts";
import { hubListProcedure } from "./procedures/hub-list.ts";
import { hubStatusProcedure } from "./procedures/hub-status.ts";
import { provisionHubProcedure } from "./procedures/provision-hub.ts";
import { router } from "./trpc.ts";

export const appRouter = router({
  hub: router({
    provision: provisionHubProcedure,
    byId: hubByIdProcedure,
    bySerial: hubBySerialProcedure,
    events: hubEventsProcedure,
    list: hubListProcedure,
    lastEvents: hubLastEventsProcedure,
    status: hubStatusProcedure,
  }),
  events: router({ feed: eventFeedProcedure }),
  apiKeys: router({ verify: apiKeyVerifyProcedure }),
});

export type AppRouter = typeof appRouter;
