import { z } from "zod";
import { parseRuleMessages } from "../../iot/rule-ingestion.ts";
import { serviceProcedure } from "../trpc.ts";

/** At most this many messages per call (an HTTP action's batch is far smaller). */
const MAX_MESSAGES = 1000;

/**
 * The topic rule's messages as the gateway received them: the rule's secret header value (checked
 * here, where the secret lives) and the messages (one, or a batch). Answers what was taken:
 * redelivered and stale messages append nothing, unusable ones are counted, not refused.
 */
export const ruleMessagesProcedure = serviceProcedure
  .input(
    z.object({
      secret: z.string().max(1024).optional(),
      messages: z.array(z.unknown()).min(1).max(MAX_MESSAGES),
    }),
  )
  .output(
    z.object({
      messages: z.number().int(),
      events: z.number().int(),
      unknownThings: z.number().int(),
      invalid: z.number().int(),
    }),
  )
  .mutation(async ({ ctx, input }) => {
    ctx.hubs.rule.authenticate(input.secret);
    const { messages, invalid } = parseRuleMessages(input.messages);
    const summary = await ctx.hubs.device.ingest(messages);
    return { ...summary, messages: input.messages.length, invalid };
  });

/**
 * AWS IoT's destination confirmation (before any message flows): recorded for an operator to
 * confirm with ConfirmTopicRuleDestination, or confirmed at once where configured.
 */
export const ruleConfirmationProcedure = serviceProcedure
  .input(
    z.object({
      arn: z
        .string()
        .max(2048)
        .regex(/^arn:aws[a-z-]*:iot:[a-z0-9-]+:\d{12}:ruledestination\/http\/[A-Za-z0-9-]+$/, {
          error: "not a topic rule destination ARN",
        }),
      confirmationToken: z.string().min(1).max(2048),
      enableUrl: z.url().max(4096).optional(),
    }),
  )
  .output(z.object({ confirmed: z.boolean() }))
  .mutation(({ ctx, input }) => ctx.hubs.rule.confirmation(input));
