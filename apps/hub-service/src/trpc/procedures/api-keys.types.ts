import {
  apiKeyByIdSchema,
  apiKeyViewSchema,
  createOrganizationSchema,
  issueApiKeySchema,
  issuedApiKeySchema,
  listApiKeysSchema,
  organizationByIdSchema,
  organizationConnectionSchema,
  organizationSchema,
  organizationsByIdsSchema,
  organizationsPageSchema,
  principalSchema,
  rotateApiKeySchema,
  rotatedApiKeySchema,
} from "@hub/shared";
import { z } from "zod";
import { callerInput } from "../caller.ts";

// Generous over the real key length (60) so a format change stays compatible, small enough that
// nobody can make us hash megabytes.
export const apiKeyVerifyInput = z.object({ key: z.string().min(1).max(256) });
export const apiKeyVerifyOutput = z.object({
  principal: principalSchema.nullable(),
  /** When the key stops working (epoch ms; null: no expiry): a cache must not outlive it. */
  expiresAt: z.number().int().nullable().default(null),
});

export const createOrganizationInput = z.object({ caller: callerInput, ...createOrganizationSchema.shape });
export const organizationOutput = organizationSchema;
export const listOrganizationsInput = z.object({ caller: callerInput }).and(organizationsPageSchema);
export const listOrganizationsOutput = organizationConnectionSchema;
export const organizationByIdInput = z.object({ caller: callerInput, ...organizationByIdSchema.shape });
export const organizationsByIdsInput = z.object({ caller: callerInput, ...organizationsByIdsSchema.shape });
export const organizationsByIdsOutput = z.array(organizationSchema);

export const issueApiKeyInput = z.object({ caller: callerInput, ...issueApiKeySchema.shape });
export const issueApiKeyOutput = issuedApiKeySchema;
export const listApiKeysInput = z.object({ caller: callerInput, ...listApiKeysSchema.shape });
export const listApiKeysOutput = z.array(apiKeyViewSchema);
export const revokeApiKeyInput = z.object({ caller: callerInput, ...apiKeyByIdSchema.shape });
export const revokeApiKeyOutput = apiKeyViewSchema;
export const rotateApiKeyInput = z.object({ caller: callerInput, ...rotateApiKeySchema.shape });
export const rotateApiKeyOutput = rotatedApiKeySchema;
