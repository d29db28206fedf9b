import {
  type ApiKeyView,
  apiKeyByIdSchema,
  apiKeyStatuses,
  ConflictError,
  createOrganizationSchema,
  ForbiddenError,
  type IssuedApiKeyView,
  issueApiKeySchema,
  listApiKeysSchema,
  type OrganizationConnection,
  type OrganizationView,
  organizationByIdSchema,
  organizationsPageSchema,
  parseOrThrow,
  permissions,
  type RotatedApiKeyView,
  rotateApiKeySchema,
} from "@hub/shared";
import { orNull } from "../backend.ts";
import { builder } from "../builder.ts";
import type { GraphQLContext } from "../context.ts";
import { callOf } from "./call.ts";
import { withoutNulls } from "./hub-inputs.ts";

/*
 * Organizations and their API keys. Who may do what is hub-service's policy: admins and services
 * anything; an organization's key reads its own organization and, with keys:manage, manages its
 * own keys without ever granting more than it holds. A key's secret is in the answer that created
 * it (issueApiKey, rotateApiKey) and nowhere else.
 */

export const OrganizationRef = builder.objectRef<OrganizationView>("Organization").implement({
  description: "A partner organization: it owns API keys, hubs and webhook subscriptions",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    createdAt: t.float({ description: "Epoch ms", resolve: (org) => org.createdAt }),
  }),
});

/**
 * One request's organization names: every `organization` field resolved in the same tick is
 * answered by one `organizations.byIds` call (never one call per row). An organization the caller
 * may not see reads as null.
 */
type Loader = (id: string) => Promise<OrganizationView | null>;
const loaders = new WeakMap<object, Loader>();

function loaderOf(ctx: GraphQLContext): Loader {
  const existing = loaders.get(ctx);
  if (existing) return existing;
  const known = new Map<string, Promise<OrganizationView | null>>();
  let batch: Map<string, (org: OrganizationView | null) => void> | undefined;
  let failures: Map<string, (error: unknown) => void> | undefined;
  const dispatch = async (
    wanted: Map<string, (org: OrganizationView | null) => void>,
    fail: Map<string, (error: unknown) => void>,
  ) => {
    try {
      const found = await ctx.hubService.organizations.byIds.query({
        caller: await callOf(ctx),
        ids: [...wanted.keys()],
      });
      const byId = new Map(found.map((org) => [org.id.toLowerCase(), org]));
      for (const [id, resolve] of wanted) resolve(byId.get(id.toLowerCase()) ?? null);
    } catch (error) {
      for (const reject of fail.values()) reject(error);
    }
  };
  const load: Loader = (id) => {
    const cached = known.get(id);
    if (cached) return cached;
    if (!batch || !failures) {
      const wanted = new Map<string, (org: OrganizationView | null) => void>();
      const fail = new Map<string, (error: unknown) => void>();
      batch = wanted;
      failures = fail;
      // After the resolvers of this tick have asked: one call for all of them.
      setImmediate(() => {
        batch = undefined;
        failures = undefined;
        void dispatch(wanted, fail);
      });
    }
    const wanted = batch;
    const fail = failures;
    const promise = new Promise<OrganizationView | null>((resolve, reject) => {
      wanted.set(id, resolve);
      fail.set(id, reject);
    });
    known.set(id, promise);
    return promise;
  };
  loaders.set(ctx, load);
  return load;
}

/** The organization of `id` (null for none, or one the caller may not see), batched per request. */
export function organizationOf(ctx: GraphQLContext, id: string | null | undefined) {
  return id ? loaderOf(ctx)(id) : Promise.resolve(null);
}

const Permission = builder.enumType("Permission", {
  description:
    "What an API key may do (see the README's permissions table); a key with keys:manage never grants more than it holds",
  values: Object.fromEntries(
    permissions.map((permission) => [permission.replace(":", "_").toUpperCase(), { value: permission }]),
  ) as Record<string, { value: (typeof permissions)[number] }>,
});

const ApiKeyStatus = builder.enumType("ApiKeyStatus", {
  description:
    "ACTIVE: works. RETIRING: rotated, works until its expiresAt (the overlap's end). EXPIRED: past its expiresAt. REVOKED: revoked",
  values: apiKeyStatuses,
});

const ApiKeyRef = builder.objectRef<ApiKeyView>("ApiKey").implement({
  description: "An organization's API key as operators see it: never the key, its secret or its hash",
  fields: (t) => ({
    id: t.exposeID("id"),
    orgId: t.exposeID("orgId"),
    organization: t.field({
      type: OrganizationRef,
      nullable: true,
      resolve: (key, _args, ctx) => organizationOf(ctx, key.orgId),
    }),
    prefix: t.exposeString("prefix", { description: "The key's public part (`hub_<prefix>_…`)" }),
    name: t.exposeString("name"),
    permissions: t.field({ type: [Permission], resolve: (key) => key.permissions }),
    status: t.field({ type: ApiKeyStatus, resolve: (key) => key.status }),
    createdAt: t.float({ description: "Epoch ms", resolve: (key) => key.createdAt }),
    lastUsedAt: t.float({
      nullable: true,
      description:
        "Epoch ms of a recent use: recorded at most once a minute, behind the gateway's key cache, so up to API_KEY_CACHE_TTL_MS + 60 s old",
      resolve: (key) => key.lastUsedAt,
    }),
    expiresAt: t.float({
      nullable: true,
      description: "Epoch ms it stops working (a rotated key: its overlap's end); null: never",
      resolve: (key) => key.expiresAt,
    }),
    revokedAt: t.float({ nullable: true, description: "Epoch ms", resolve: (key) => key.revokedAt }),
    rotatedAt: t.float({ nullable: true, description: "Epoch ms", resolve: (key) => key.rotatedAt }),
    replacedById: t.exposeID("replacedById", {
      nullable: true,
      description: "The key that replaced it by rotation",
    }),
  }),
});

const IssuedApiKeyRef = builder.objectRef<IssuedApiKeyView>("IssuedApiKey").implement({
  description: "A new key: `key` is shown here only, never again (it is not stored)",
  fields: (t) => ({
    key: t.exposeString("key", { description: "Send it as the X-API-Key header" }),
    apiKey: t.field({ type: ApiKeyRef, resolve: (issued) => issued.apiKey }),
  }),
});

const RotatedApiKeyRef = builder.objectRef<RotatedApiKeyView>("RotatedApiKey").implement({
  description:
    "The replacement key (its `key` shown here only) and the rotated one, which works until it retires",
  fields: (t) => ({
    key: t.exposeString("key", { description: "The new key; send it as the X-API-Key header" }),
    apiKey: t.field({ type: ApiKeyRef, description: "The new key", resolve: (rotated) => rotated.apiKey }),
    previous: t.field({
      type: ApiKeyRef,
      description: "The rotated key",
      resolve: (rotated) => rotated.previous,
    }),
    previousKeyRetiresAt: t.float({
      description: "Epoch ms the rotated key stops working: min(its expiry, now + overlapSeconds)",
      resolve: (rotated) => rotated.previousKeyRetiresAt,
    }),
  }),
});

const OrganizationConnectionRef = builder.connectionObject(
  { type: OrganizationRef, name: "OrganizationConnection" },
  { name: "OrganizationEdge" },
);

const IssueApiKeyInput = builder.inputType("IssueApiKeyInput", {
  fields: (t) => ({
    orgId: t.id({ required: true }),
    name: t.string({ required: true, description: "What the key is for (a partner's system, a line)" }),
    permissions: t.field({ type: [Permission], required: true }),
    expiresAt: t.float({ required: false, description: "Epoch ms, in the future; absent: never expires" }),
  }),
});

builder.queryField("organizations", (t) =>
  t.field({
    type: OrganizationConnectionRef,
    description: "Organizations by name (admins and services; an organization's key: its own only)",
    args: { first: t.arg.int({ required: false }), after: t.arg.string({ required: false }) },
    resolve: async (_root, args, ctx): Promise<OrganizationConnection> => {
      const page = parseOrThrow(
        organizationsPageSchema,
        withoutNulls({ first: args.first, after: args.after }),
      );
      return ctx.hubService.organizations.list.query({ caller: await callOf(ctx), ...page });
    },
  }),
);

builder.queryField("organization", (t) =>
  t.field({
    type: OrganizationRef,
    nullable: true,
    description: "One organization (an organization's key: its own only; another reads as null)",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const { id } = parseOrThrow(organizationByIdSchema, { id: args.id });
      return orNull(ctx.hubService.organizations.byId.query({ caller: await callOf(ctx), id }));
    },
  }),
);

builder.queryField("apiKeys", (t) =>
  t.field({
    type: [ApiKeyRef],
    description:
      "An organization's API keys, oldest first (admins, services, or its own key with keys:manage)",
    args: { orgId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const { orgId } = parseOrThrow(listApiKeysSchema, { orgId: args.orgId });
      return ctx.hubService.apiKeys.list.query({ caller: await callOf(ctx), orgId });
    },
  }),
);

// Mutations answer their type or one of these errors (plus the builder's defaults) as data.
const keyErrors = [ForbiddenError, ConflictError];

builder.mutationField("createOrganization", (t) =>
  t.field({
    type: OrganizationRef,
    description: "Creates an organization (admins and services)",
    args: { name: t.arg.string({ required: true }) },
    errors: { types: keyErrors },
    resolve: async (_root, args, ctx) => {
      const input = parseOrThrow(createOrganizationSchema, { name: args.name });
      return ctx.hubService.organizations.create.mutate({ caller: await callOf(ctx), ...input });
    },
  }),
);

builder.mutationField("issueApiKey", (t) =>
  t.field({
    type: IssuedApiKeyRef,
    description:
      "Issues an API key; the answer holds the key, shown only here. A keys:manage key issues keys of its own organization with no permission it lacks",
    args: { input: t.arg({ type: IssueApiKeyInput, required: true }) },
    errors: { types: keyErrors },
    resolve: async (_root, args, ctx) => {
      const input = parseOrThrow(issueApiKeySchema, withoutNulls(args.input));
      return ctx.hubService.apiKeys.issue.mutate({ caller: await callOf(ctx), ...input });
    },
  }),
);

builder.mutationField("revokeApiKey", (t) =>
  t.field({
    type: ApiKeyRef,
    description: "Revokes a key at once (gateways may accept it for up to API_KEY_CACHE_TTL_MS more)",
    args: { id: t.arg.id({ required: true }) },
    errors: { types: keyErrors },
    resolve: async (_root, args, ctx) => {
      const { id } = parseOrThrow(apiKeyByIdSchema, { id: args.id });
      return ctx.hubService.apiKeys.revoke.mutate({ caller: await callOf(ctx), id });
    },
  }),
);

builder.mutationField("rotateApiKey", (t) =>
  t.field({
    type: RotatedApiKeyRef,
    description:
      "Replaces a key by a new one (same organization, name, permissions and expiry; shown only here); the old one keeps working for overlapSeconds (0 to 604800), never past its own expiry. A revoked, expired or already rotated key cannot be rotated (ConflictError)",
    args: { id: t.arg.id({ required: true }), overlapSeconds: t.arg.int({ required: true }) },
    errors: { types: keyErrors },
    resolve: async (_root, args, ctx) => {
      const input = parseOrThrow(rotateApiKeySchema, { id: args.id, overlapSeconds: args.overlapSeconds });
      return ctx.hubService.apiKeys.rotate.mutate({ caller: await callOf(ctx), ...input });
    },
  }),
);
