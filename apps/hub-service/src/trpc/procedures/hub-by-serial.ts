import { assertCanRead, resolveCaller } from "../caller.ts";
import { serviceProcedure } from "../trpc.ts";
import { hubBySerialInput, hubOutput } from "./hub-queries.types.ts";

export const hubBySerialProcedure = serviceProcedure
  .input(hubBySerialInput)
  .output(hubOutput)
  .query(({ ctx, input }) => {
    assertCanRead(resolveCaller(ctx, ctx.service.id, input.caller));
    return ctx.hubs.bySerial(input.serial);
  });
