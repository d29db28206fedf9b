import { principalSchema } from "@hub/shared";
import { z } from "zod";

// Generous over the real key length (60) so a format change stays compatible, small enough that
// nobody can make us hash megabytes.
export const apiKeyVerifyInput = z.object({ key: z.string().min(1).max(256) });
export const apiKeyVerifyOutput = z.object({ principal: principalSchema.nullable() });
