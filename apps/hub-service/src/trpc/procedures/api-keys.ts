import { NotFoundError } from "@hub/shared";
import {
  createOrganization,
  findApiKey,
  issueApiKey,
  listApiKeys,
  listOrganizations,
  organizationsByIds,
  revokeApiKey,
  rotateApiKey,
  toApiKeyView,
  toOrganizationView,
} from "../../api-keys/api-keys.ts";
import {
  authorizeApiKey,
  authorizeKeyGrant,
  authorizeOrganization,
  organizationScope,
} from "../../policy/policy.ts";
import type { CallerContext } from "../caller.ts";
import type { Context } from "../trpc.ts";
import { authorizedProcedure } from "../trpc.ts";
import {
  createOrganizationInput,
  issueApiKeyInput,
  issueApiKeyOutput,
  listApiKeysInput,
  listApiKeysOutput,
  listOrganizationsInput,
  listOrganizationsOutput,
  organizationByIdInput,
  organizationOutput,
  organizationsByIdsInput,
  organizationsByIdsOutput,
  revokeApiKeyInput,
  revokeApiKeyOutput,
  rotateApiKeyInput,
  rotateApiKeyOutput,
} from "./api-keys.types.ts";

/*
 * Organizations and their API keys. Who may do what is the policy's (policy.ts): admins and
 * services anything; an organization's key reads its own organization, and with keys:manage
 * manages its own keys, never granting more than it holds. Each change writes its audit record
 * in its own transaction (api-keys.ts).
 */

type Scoped = { ctx: Context & { caller: CallerContext } };

const actorOf = ({ ctx }: Scoped) => ({ principal: ctx.caller.principal, requestId: ctx.caller.requestId });

/** The key, after the policy: another organization's key is "not found". */
async function ownKey(options: Scoped, id: string) {
  const key = await findApiKey(options.ctx.apiKeys.prisma, id);
  if (!key) throw new NotFoundError("API key not found");
  authorizeApiKey(options.ctx.caller.principal, key.organizationId);
  return key;
}

export const createOrganizationProcedure = authorizedProcedure(
  createOrganizationInput,
  "organizations.manage",
)
  .output(organizationOutput)
  .mutation(async (options) =>
    toOrganizationView(
      await createOrganization(options.ctx.apiKeys.prisma, options.input.name, actorOf(options)),
    ),
  );

export const listOrganizationsProcedure = authorizedProcedure(listOrganizationsInput, "organizations.read")
  .output(listOrganizationsOutput)
  .query(({ ctx, input }) =>
    listOrganizations(
      ctx.apiKeys.prisma,
      { first: input.first, after: input.after, last: input.last, before: input.before },
      organizationScope(ctx.caller.principal),
    ),
  );

export const organizationByIdProcedure = authorizedProcedure(organizationByIdInput, "organizations.read")
  .output(organizationOutput)
  .query(async ({ ctx, input }) => {
    authorizeOrganization(ctx.caller.principal, input.id);
    const [org] = await organizationsByIds(ctx.apiKeys.prisma, [input.id]);
    if (!org) throw new NotFoundError("Organization not found");
    return org;
  });

/** For one request's loader: the organizations among `ids` the caller may see (others are absent). */
export const organizationsByIdsProcedure = authorizedProcedure(organizationsByIdsInput, "organizations.read")
  .output(organizationsByIdsOutput)
  .query(async ({ ctx, input }) => {
    const own = organizationScope(ctx.caller.principal)?.toLowerCase();
    const ids = own === undefined ? input.ids : input.ids.filter((id) => id.toLowerCase() === own);
    return organizationsByIds(ctx.apiKeys.prisma, ids);
  });

export const issueApiKeyProcedure = authorizedProcedure(issueApiKeyInput, "keys.manage")
  .output(issueApiKeyOutput)
  .mutation(async (options) => {
    const { ctx, input } = options;
    authorizeOrganization(ctx.caller.principal, input.orgId);
    authorizeKeyGrant(ctx.caller.principal, input.permissions);
    const now = ctx.apiKeys.now();
    const issued = await issueApiKey(ctx.apiKeys.prisma, {
      organizationId: input.orgId,
      name: input.name,
      permissions: input.permissions,
      now,
      ...(input.expiresAt !== undefined ? { expiresAt: new Date(input.expiresAt) } : {}),
      actor: actorOf(options),
    });
    return { key: issued.key, apiKey: toApiKeyView(issued.summary, now) };
  });

export const listApiKeysProcedure = authorizedProcedure(listApiKeysInput, "keys.manage")
  .output(listApiKeysOutput)
  .query(async ({ ctx, input }) => {
    authorizeOrganization(ctx.caller.principal, input.orgId);
    const now = ctx.apiKeys.now();
    return (await listApiKeys(ctx.apiKeys.prisma, input.orgId)).map((key) => toApiKeyView(key, now));
  });

export const revokeApiKeyProcedure = authorizedProcedure(revokeApiKeyInput, "keys.manage")
  .output(revokeApiKeyOutput)
  .mutation(async (options) => {
    const { ctx, input } = options;
    await ownKey(options, input.id);
    const now = ctx.apiKeys.now();
    return toApiKeyView(await revokeApiKey(ctx.apiKeys.prisma, input.id, now, actorOf(options)), now);
  });

export const rotateApiKeyProcedure = authorizedProcedure(rotateApiKeyInput, "keys.manage")
  .output(rotateApiKeyOutput)
  .mutation(async (options) => {
    const { ctx, input } = options;
    const key = await ownKey(options, input.id);
    // The replacement carries the old key's permissions: the caller must hold them all.
    authorizeKeyGrant(ctx.caller.principal, key.permissions);
    const now = ctx.apiKeys.now();
    const rotated = await rotateApiKey(ctx.apiKeys.prisma, {
      idOrPrefix: input.id,
      overlapSeconds: input.overlapSeconds,
      now,
      actor: actorOf(options),
    });
    return {
      key: rotated.key,
      apiKey: toApiKeyView(rotated.current, now),
      previous: toApiKeyView(rotated.previous, now),
      previousKeyRetiresAt: rotated.previousKeyRetiresAt.getTime(),
    };
  });
