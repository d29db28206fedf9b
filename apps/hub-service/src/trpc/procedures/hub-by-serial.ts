import { authorizedProcedure } from "../trpc.ts";
import { hubBySerialInput, hubOutput } from "./hub-queries.types.ts";

export const hubBySerialProcedure = authorizedProcedure(hubBySerialInput, "hubs.browse")
  .output(hubOutput)
  .query(({ ctx, input }) => {
    return ctx.hubs.bySerial(input.serial);
  });
