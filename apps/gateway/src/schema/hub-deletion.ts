import {
  type AuditConnection,
  type AuditRecord,
  auditActions,
  auditListFilterSchema,
  auditPageArgsSchema,
  ConflictError,
  deleteHubSchema,
  ForbiddenError,
  type HubDeletionOperation,
  type HubDeletionResult,
  hubDeletionModes,
  parseOrThrow,
  UnauthenticatedError,
} from "@hub/shared";
import { builder } from "../builder.ts";
import { DUAL_CREDENTIALS_MESSAGE, requireDualCredentials } from "../rest/delete-hub.ts";
import { callOf, pageOf } from "./call.ts";
import { withoutNulls } from "./hub-inputs.ts";

/*
 * Deleting a hub (an admin token together with a hubs:delete API key; hub-service's policy) and
 * the audit trail every deletion (and every organization and key change) is recorded in.
 */

const HubDeletionMode = builder.enumType("HubDeletionMode", {
  description:
    "DELETE_DO_ONLY: drop the hub's read model and rebuild it from its events (kept). DELETE_DO_AND_EVENTS: archive the events, then delete them with the read model, commands and webhook deliveries",
  values: hubDeletionModes,
});

const HubDeletionOperationRef = builder.objectRef<HubDeletionOperation>("HubDeletionOperation").implement({
  description: "One step of a deletion and the rows (or events) it touched",
  fields: (t) => ({
    operation: t.exposeString("operation"),
    count: t.exposeInt("count"),
  }),
});

const HubDeletionRef = builder.objectRef<HubDeletionResult>("HubDeletion").implement({
  description: "What a deletion did (the REST route's 200 body)",
  fields: (t) => ({
    hubId: t.exposeID("hubId"),
    mode: t.field({ type: HubDeletionMode, resolve: (result) => result.mode }),
    operations: t.field({ type: [HubDeletionOperationRef], resolve: (result) => result.operations }),
    deletionSummary: t.exposeString("deletionSummary"),
    auditLogPath: t.exposeString("auditLogPath", {
      description: "The archive file (DELETE_DO_AND_EVENTS); empty when nothing was archived",
    }),
    archiveSha256: t.exposeString("archiveSha256", {
      nullable: true,
      description: "The archive's SHA-256 (hex)",
    }),
    eventCount: t.exposeInt("eventCount", { description: "Events the hub's stream had" }),
    auditRecordId: t.exposeID("auditRecordId"),
    duration: t.float({ description: "Milliseconds", resolve: (result) => result.duration }),
    errors: t.exposeStringList("errors"),
  }),
});

builder.mutationField("deleteHub", (t) =>
  t.field({
    type: HubDeletionRef,
    description:
      "Deletes a hub (an admin token together with an X-API-Key holding hubs:delete). A claimed, active hub's events are deleted only with force (ConflictError HUB_ACTIVE); each deletion writes an audit record",
    args: {
      hubId: t.arg.id({ required: true }),
      mode: t.arg({ type: HubDeletionMode, required: true }),
      force: t.arg.boolean({ required: false, defaultValue: false }),
    },
    errors: { types: [ForbiddenError, ConflictError] },
    resolve: async (_root, args, ctx) => {
      // As the REST route: both credentials sent, or 401 before anything is verified. Yoga puts
      // the fetch Request on every context (not in GraphQLContext's type: tests omit it).
      const headers = (ctx as { request?: { headers?: Headers } }).request?.headers;
      if (headers) {
        requireDualCredentials({
          authorization: headers.get("authorization") ?? undefined,
          apiKey: headers.get("x-api-key") ?? undefined,
        });
      }
      const caller = await callOf(ctx);
      if (caller.principal.apiKey === undefined) throw new UnauthenticatedError(DUAL_CREDENTIALS_MESSAGE);
      const input = parseOrThrow(deleteHubSchema, {
        hubId: String(args.hubId).toLowerCase(),
        mode: args.mode,
        force: args.force ?? false,
      });
      return ctx.hubService.hub.delete.mutate({ caller, ...input });
    },
  }),
);

const AuditAction = builder.enumType("AuditAction", {
  values: Object.fromEntries(
    auditActions.map((action) => [
      action
        .replace(".", "_")
        .replace(/([a-z])([A-Z])/g, "$1_$2")
        .toUpperCase(),
      { value: action },
    ]),
  ) as Record<string, { value: (typeof auditActions)[number] }>,
});

const AuditActorRef = builder.objectRef<AuditRecord["actor"]>("AuditActor").implement({
  fields: (t) => ({
    kind: t.exposeString("kind"),
    id: t.exposeString("id"),
    orgId: t.exposeString("orgId", { nullable: true }),
    apiKeyId: t.exposeID("apiKeyId", { nullable: true, description: "The API key it presented" }),
  }),
});

const AuditRecordRef = builder.objectRef<AuditRecord>("AuditRecord").implement({
  description: "One thing an operator did; never changed or deleted",
  fields: (t) => ({
    id: t.exposeID("id"),
    recordedAt: t.float({ description: "Epoch ms", resolve: (record) => record.recordedAt }),
    action: t.field({ type: AuditAction, resolve: (record) => record.action }),
    targetType: t.exposeString("targetType"),
    targetId: t.exposeString("targetId"),
    actor: t.field({ type: AuditActorRef, resolve: (record) => record.actor }),
    requestId: t.exposeString("requestId", { nullable: true }),
    details: t.field({
      type: "JSONObject",
      description:
        "What the action needs to be understood later (a deletion's mode, archive, digest, event count)",
      resolve: (record) => record.details,
    }),
  }),
});

const AuditRecordConnectionRef = builder.connectionObject(
  { type: AuditRecordRef, name: "AuditRecordConnection" },
  { name: "AuditRecordEdge" },
);

const AuditRecordFilter = builder.inputType("AuditRecordFilter", {
  fields: (t) => ({
    action: t.field({ type: AuditAction, required: false }),
    targetId: t.string({ required: false }),
  }),
});

builder.queryField("auditRecords", (t) =>
  t.field({
    type: AuditRecordConnectionRef,
    description: "The audit trail, newest first (admins)",
    args: {
      filter: t.arg({ type: AuditRecordFilter, required: false }),
      first: t.arg.int({ required: false }),
      after: t.arg.string({ required: false }),
      last: t.arg.int({ required: false }),
      before: t.arg.string({ required: false }),
    },
    resolve: async (_root, args, ctx): Promise<AuditConnection> => {
      const filter = parseOrThrow(auditListFilterSchema, withoutNulls({ ...args.filter }));
      const page = parseOrThrow(auditPageArgsSchema, withoutNulls(pageOf(args)));
      return ctx.hubService.audit.list.query({ caller: await callOf(ctx), filter, page });
    },
  }),
);
