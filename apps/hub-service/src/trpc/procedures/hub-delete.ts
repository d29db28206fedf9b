import {
  auditConnectionSchema,
  auditListFilterSchema,
  auditPageArgsSchema,
  deleteHubSchema,
  hubDeletionResultSchema,
} from "@hub/shared";
import { z } from "zod";
import { listAuditRecords } from "../../audit/audit-log.ts";
import { callerInput } from "../caller.ts";
import { authorizedProcedure } from "../trpc.ts";

export const deleteHubInput = z.object({ caller: callerInput, ...deleteHubSchema.shape });
export const auditListInput = z.object({
  caller: callerInput,
  filter: auditListFilterSchema.default({}),
  page: auditPageArgsSchema.default({}),
});

/**
 * hub.delete: an admin token with a hubs:delete API key (policy.ts, authorizeDeletion); the rule
 * (unknown hub, active hub without force) is decideDeletion's, the work and its audit record one
 * transaction (hub-deletion.ts).
 */
export const deleteHubProcedure = authorizedProcedure(deleteHubInput, "hub.delete")
  .output(hubDeletionResultSchema)
  .mutation(({ ctx, input }) =>
    ctx.hubs.delete({
      hubId: input.hubId.toLowerCase(),
      mode: input.mode,
      force: input.force,
      actor: ctx.caller.principal,
      requestId: ctx.caller.requestId,
    }),
  );

/** audit.list: the audit trail, newest first, for admins. */
export const auditListProcedure = authorizedProcedure(auditListInput, "audit.read")
  .output(auditConnectionSchema)
  .query(({ ctx, input }) => listAuditRecords(ctx.apiKeys.prisma, input.filter, input.page));
