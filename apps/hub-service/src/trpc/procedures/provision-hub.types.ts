import { provisionHubBodySchema, provisionHubResultSchema } from "@hub/shared";
import { z } from "zod";
import { callerInput } from "../caller.ts";

export const provisionHubInput = z.object({ caller: callerInput, command: provisionHubBodySchema });
export const provisionHubOutput = provisionHubResultSchema;
