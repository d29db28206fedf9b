import { serviceProcedure } from "../trpc.ts";
import { apiKeyVerifyInput, apiKeyVerifyOutput } from "./api-keys.types.ts";

/**
 * The gateway resolves `X-API-Key` here: only an authenticated service may ask, and the answer is
 * the organization principal (with the key's expiry) or null, never why a key was refused.
 */
export const apiKeyVerifyProcedure = serviceProcedure
  .input(apiKeyVerifyInput)
  .output(apiKeyVerifyOutput)
  .query(async ({ ctx, input }) => {
    const verified = await ctx.apiKeys.verify(input.key);
    return verified
      ? { principal: verified.principal, expiresAt: verified.expiresAt?.getTime() ?? null }
      : { principal: null, expiresAt: null };
  });
