import { randomUUID } from "node:crypto";
import {
  type ApiKeyView,
  apiKeyStatus,
  ConflictError,
  MAX_FIELD_LENGTH,
  MAX_KEY_OVERLAP_SECONDS,
  NotFoundError,
  type OrganizationConnection,
  type OrganizationView,
  PAGE_SIZE_DEFAULT,
  type PageArgs,
  type Permission,
  type Principal,
  parseOrThrow,
  permissionSchema,
} from "@hub/shared";
import { z } from "zod";
import { recordAudit } from "../audit/audit-log.ts";
import { violatedUniqueConstraint } from "../event-store/errors.ts";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { fingerprint } from "../queries/cursor.ts";
import { keysetPage } from "../queries/keyset.ts";
import {
  API_KEY_PREFIX_PATTERN,
  apiKeySecretMatches,
  generateApiKey,
  hashApiKeySecret,
  parseApiKey,
} from "./api-key-format.ts";

/*
 * Organizations and their API keys: the one implementation behind the tRPC procedures and the
 * CLI. Every change (an organization created, a key issued, rotated or revoked) writes its audit
 * record in the same transaction; a refusal writes nothing.
 */

export type OrganizationRecord = { readonly id: string; readonly name: string; readonly createdAt: Date };

/** What operators may see of a key: never the key, the secret or its hash. */
export type ApiKeySummary = {
  readonly id: string;
  readonly organizationId: string;
  readonly name: string;
  readonly prefix: string;
  readonly permissions: Permission[];
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly rotatedAt: Date | null;
  readonly replacedById: string | null;
};

/** `key` exists only in this value, once: it is not stored and cannot be recovered. */
export type IssuedApiKey = {
  readonly id: string;
  readonly prefix: string;
  readonly key: string;
  readonly summary: ApiKeySummary;
};

/** Who made a change, as its audit record names it. */
export type Actor = { readonly principal: Principal; readonly requestId?: string | undefined };

/** An operator tool acting directly on the database (the CLI, `npm start`, benches), as an admin. */
export function toolActor(id: string): Actor {
  return { principal: { kind: "admin", id, permissions: [] } };
}

export type IssueApiKeyInput = {
  readonly organizationId: string;
  readonly name: string;
  readonly permissions: readonly Permission[];
  readonly expiresAt?: Date;
  readonly now: Date;
  readonly actor: Actor;
};

export type RotatedApiKey = {
  readonly key: string;
  readonly current: ApiKeySummary;
  readonly previous: ApiKeySummary;
  /** When the old key stops working: min(its expiry, now + overlap). */
  readonly previousKeyRetiresAt: Date;
};

/** A live key: the principal it stands for and when it stops (null: never, unless revoked). */
export type VerifiedApiKey = { readonly principal: Principal; readonly expiresAt: Date | null };

export type ApiKeyVerifier = { verify(key: string): Promise<VerifiedApiKey | null> };

/** "Last used" is written when the stored value is older than this (never once per request). */
export const LAST_USED_PRECISION_MS = 60_000;

const nameSchema = (label: string) =>
  z
    .string()
    .trim()
    .min(1, { error: `${label} must not be empty` })
    .max(MAX_FIELD_LENGTH, { error: `${label} must be at most ${MAX_FIELD_LENGTH} characters` });
const organizationIdSchema = z.uuid({ error: "must be a UUID" });
const issueInputSchema = z
  .object({
    organizationId: organizationIdSchema,
    name: nameSchema("name"),
    permissions: z.array(permissionSchema).max(16),
    expiresAt: z.date().optional(),
    now: z.date(),
  })
  .refine((input) => !input.expiresAt || input.expiresAt.getTime() > input.now.getTime(), {
    error: "expiresAt must be in the future",
    path: ["expiresAt"],
  });
const overlapSchema = z.object({
  overlapSeconds: z.number().int().min(0).max(MAX_KEY_OVERLAP_SECONDS),
});
const summaryColumns = {
  id: true,
  organizationId: true,
  name: true,
  prefix: true,
  permissions: true,
  createdAt: true,
  expiresAt: true,
  revokedAt: true,
  lastUsedAt: true,
  rotatedAt: true,
  replacedById: true,
} as const;
const organizationColumns = { id: true, name: true, createdAt: true } as const;
// Collisions of 12 base62 characters are astronomically rare; retrying costs nothing and removes the case.
const PREFIX_ATTEMPTS = 3;

type Tx = Prisma.TransactionClient;

export async function createOrganization(
  prisma: PrismaClient,
  name: string,
  actor: Actor,
): Promise<OrganizationRecord> {
  const validName = parseOrThrow(nameSchema("name"), name, "Invalid organization name");
  try {
    return await prisma.$transaction(async (tx) => {
      const org = await tx.organization.create({
        data: { id: randomUUID(), name: validName },
        select: organizationColumns,
      });
      await recordAudit(tx, {
        action: "organization.created",
        targetType: "organization",
        targetId: org.id,
        actor: actor.principal,
        requestId: actor.requestId,
        details: { name: org.name },
      });
      return org;
    });
  } catch (error) {
    if (violatedUniqueConstraint(error))
      throw new ConflictError(`An organization named '${validName}' already exists`, "name");
    throw error;
  }
}

/** Organizations by name; `onlyId` confines the page to one organization (an organization's own). */
export function listOrganizations(
  prisma: PrismaClient,
  page: PageArgs,
  onlyId?: string,
): Promise<OrganizationConnection> {
  const only = onlyId === undefined ? Prisma.empty : Prisma.sql`AND id::text = ${onlyId}`;
  return keysetPage({
    page,
    defaultSize: PAGE_SIZE_DEFAULT,
    // Names are unique (organizations_name_key): a total order read from that index.
    columns: [{ sql: "name", cast: "text" }],
    descending: false,
    scope: fingerprint({ query: "organizations", onlyId }),
    keySchema: z.tuple([z.string()]),
    keyOf: (row: OrganizationRecord) => [row.name] as const,
    toNode: toOrganizationView,
    run: (clause) =>
      prisma.$queryRaw<OrganizationRecord[]>`
        SELECT id::text AS id, name, created_at AS "createdAt" FROM organizations
        WHERE ${clause.after ?? Prisma.sql`TRUE`} ${only}
        ORDER BY ${clause.orderBy} LIMIT ${clause.limit}`,
  });
}

/** The organizations among `ids` (unknown or malformed ids are simply absent). */
export async function organizationsByIds(
  prisma: PrismaClient,
  ids: readonly string[],
): Promise<OrganizationView[]> {
  const valid = [...new Set(ids.filter((id) => organizationIdSchema.safeParse(id).success))];
  if (valid.length === 0) return [];
  const rows = await prisma.organization.findMany({
    where: { id: { in: valid } },
    select: organizationColumns,
  });
  return rows.map(toOrganizationView);
}

export async function issueApiKey(prisma: PrismaClient, input: IssueApiKeyInput): Promise<IssuedApiKey> {
  const { actor, ...rest } = input;
  const valid = parseOrThrow(issueInputSchema, rest, "Invalid API key parameters");
  return prisma.$transaction(async (tx) => {
    const organization = await tx.organization.findUnique({
      where: { id: valid.organizationId },
      select: { id: true },
    });
    if (!organization) throw new NotFoundError(`Organization ${valid.organizationId} does not exist`);
    const created = await insertKey(tx, {
      organizationId: organization.id,
      name: valid.name,
      permissions: [...new Set(valid.permissions)],
      now: valid.now,
      expiresAt: valid.expiresAt ?? null,
    });
    await recordAudit(tx, {
      action: "apiKey.issued",
      targetType: "apiKey",
      targetId: created.summary.id,
      actor: actor.principal,
      requestId: actor.requestId,
      details: keyDetails(created.summary),
    });
    return created;
  });
}

async function insertKey(
  tx: Tx,
  key: {
    organizationId: string;
    name: string;
    permissions: string[];
    now: Date;
    expiresAt: Date | null;
  },
): Promise<IssuedApiKey> {
  for (let attempt = 1; ; attempt++) {
    const { prefix, secret, key: plain } = generateApiKey();
    const id = randomUUID();
    // A savepoint, so that a (vanishingly rare) prefix collision does not abort the transaction.
    await tx.$executeRaw`SAVEPOINT issue_key`;
    try {
      const row = await tx.apiKey.create({
        data: {
          id,
          organizationId: key.organizationId,
          name: key.name,
          prefix,
          hash: hashApiKeySecret(secret),
          permissions: key.permissions,
          createdAt: key.now,
          expiresAt: key.expiresAt,
        },
        select: summaryColumns,
      });
      await tx.$executeRaw`RELEASE SAVEPOINT issue_key`;
      return { id: row.id, prefix: row.prefix, key: plain, summary: toSummary(row) };
    } catch (error) {
      await tx.$executeRaw`ROLLBACK TO SAVEPOINT issue_key`;
      if (attempt < PREFIX_ATTEMPTS && violatedUniqueConstraint(error) === "api_keys_prefix_key") continue;
      throw error;
    }
  }
}

/** The key by id or prefix; null when there is none (or the text is neither). */
export async function findApiKey(
  prisma: PrismaClient | Tx,
  idOrPrefix: string,
): Promise<ApiKeySummary | null> {
  const where = organizationIdSchema.safeParse(idOrPrefix).success
    ? { id: idOrPrefix }
    : API_KEY_PREFIX_PATTERN.test(idOrPrefix)
      ? { prefix: idOrPrefix }
      : undefined;
  const row = where ? await prisma.apiKey.findUnique({ where, select: summaryColumns }) : null;
  return row ? toSummary(row) : null;
}

/**
 * Revoking twice keeps the first revocation time (and records nothing the second time); either way
 * the key is dead from `now` on.
 */
export async function revokeApiKey(
  prisma: PrismaClient,
  idOrPrefix: string,
  now: Date,
  actor: Actor,
): Promise<ApiKeySummary> {
  return prisma.$transaction(async (tx) => {
    const row = await findApiKey(tx, idOrPrefix);
    if (!row) throw new NotFoundError("No API key has this id or prefix");
    if (row.revokedAt) return row;
    const updated = await tx.apiKey.update({
      where: { id: row.id },
      data: { revokedAt: now },
      select: summaryColumns,
    });
    await recordAudit(tx, {
      action: "apiKey.revoked",
      targetType: "apiKey",
      targetId: row.id,
      actor: actor.principal,
      requestId: actor.requestId,
      details: {
        prefix: row.prefix,
        name: row.name,
        organizationId: row.organizationId,
        permissions: row.permissions,
      },
    });
    return toSummary(updated);
  });
}

/**
 * A new key for the same organization, name, permissions and expiry; the old one keeps working
 * until min(its expiry, now + overlap) and names its successor. One transaction, and the old key's
 * update is conditional (not rotated, not revoked, not expired): of two concurrent rotations of a
 * key, the second finds no row to update and fails with nothing written.
 */
export async function rotateApiKey(
  prisma: PrismaClient,
  input: { idOrPrefix: string; overlapSeconds: number; now: Date; actor: Actor },
): Promise<RotatedApiKey> {
  const { overlapSeconds } = parseOrThrow(overlapSchema, input, "Invalid rotation parameters");
  const { now, actor } = input;
  return prisma.$transaction(async (tx) => {
    const old = await findApiKey(tx, input.idOrPrefix);
    if (!old) throw new NotFoundError("No API key has this id or prefix");
    refuseRotation(old, now);
    const overlapEnd = new Date(now.getTime() + overlapSeconds * 1000);
    const retiresAt = old.expiresAt && old.expiresAt < overlapEnd ? old.expiresAt : overlapEnd;
    const created = await insertKey(tx, {
      organizationId: old.organizationId,
      name: old.name,
      permissions: old.permissions,
      now,
      expiresAt: old.expiresAt,
    });
    const updated = await tx.$executeRaw`
      UPDATE api_keys SET rotated_at = ${now}, replaced_by_id = ${created.id}::uuid, expires_at = ${retiresAt}
      WHERE id = ${old.id}::uuid AND rotated_at IS NULL AND revoked_at IS NULL
        AND (expires_at IS NULL OR expires_at > ${now})`;
    if (updated !== 1) {
      // Rotated or revoked meanwhile: the rollback also drops the key just inserted.
      const current = await tx.apiKey.findUnique({ where: { id: old.id }, select: summaryColumns });
      if (current) refuseRotation(toSummary(current), now);
      throw new ConflictError("The API key changed while it was rotated; try again", "id");
    }
    await recordAudit(tx, {
      action: "apiKey.rotated",
      targetType: "apiKey",
      targetId: old.id,
      actor: actor.principal,
      requestId: actor.requestId,
      details: {
        prefix: old.prefix,
        name: old.name,
        organizationId: old.organizationId,
        permissions: old.permissions,
        overlapSeconds,
        retiresAt: retiresAt.toISOString(),
        replacedById: created.id,
        replacedByPrefix: created.prefix,
      },
    });
    await recordAudit(tx, {
      action: "apiKey.issued",
      targetType: "apiKey",
      targetId: created.id,
      actor: actor.principal,
      requestId: actor.requestId,
      details: { ...keyDetails(created.summary), replaces: old.id },
    });
    const previous = await tx.apiKey.findUniqueOrThrow({ where: { id: old.id }, select: summaryColumns });
    return {
      key: created.key,
      current: created.summary,
      previous: toSummary(previous),
      previousKeyRetiresAt: retiresAt,
    };
  });
}

function refuseRotation(key: ApiKeySummary, now: Date): void {
  if (key.revokedAt) throw new ConflictError("A revoked API key cannot be rotated", "id");
  if (key.rotatedAt)
    throw new ConflictError("This API key was already rotated; rotate its replacement instead", "id");
  if (key.expiresAt && key.expiresAt.getTime() <= now.getTime())
    throw new ConflictError("An expired API key cannot be rotated", "id");
}

export async function listApiKeys(prisma: PrismaClient, organizationId: string): Promise<ApiKeySummary[]> {
  const id = parseOrThrow(organizationIdSchema, organizationId, "Invalid organization id");
  const rows = await prisma.apiKey.findMany({
    where: { organizationId: id },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: summaryColumns,
  });
  return rows.map(toSummary);
}

export type VerifyOptions = {
  /** A failed "last used" write (it never fails the verification). */
  readonly onLastUsedError?: (error: unknown) => void;
  /** Sees the "last used" write when one is made (tests wait for it). */
  readonly onLastUsedWrite?: (write: Promise<unknown>) => void;
};

/**
 * The organization principal a key stands for, or null for anything that is not a live key:
 * malformed (rejected before any query), unknown prefix, wrong secret, revoked or expired. The
 * reasons are deliberately not told apart, so callers cannot probe which prefixes exist.
 */
export async function verifyApiKey(
  prisma: PrismaClient,
  key: string,
  now: Date,
  options: VerifyOptions = {},
): Promise<Principal | null> {
  return (await verifyApiKeyWithExpiry(prisma, key, now, options))?.principal ?? null;
}

/**
 * As `verifyApiKey`, with when the key stops working, so a cache in front never serves it longer.
 *
 * "Last used" costs no write per request: it is written, without the request waiting, only when the
 * stored value is older than a minute (and the UPDATE itself re-checks that, so concurrent
 * verifications write once). With the gateway's cache in front (API_KEY_CACHE_TTL_MS), the value
 * shown is therefore at most TTL + 60 s behind the key's last request.
 */
export async function verifyApiKeyWithExpiry(
  prisma: PrismaClient,
  key: string,
  now: Date,
  options: VerifyOptions = {},
): Promise<VerifiedApiKey | null> {
  const parsed = parseApiKey(key);
  if (!parsed) return null;
  const row = await prisma.apiKey.findUnique({
    where: { prefix: parsed.prefix },
    select: {
      id: true,
      organizationId: true,
      hash: true,
      permissions: true,
      expiresAt: true,
      revokedAt: true,
      lastUsedAt: true,
    },
  });
  if (!row || !apiKeySecretMatches(parsed.secret, row.hash)) return null;
  // Revocation is immediate and final, whatever clock the verifier runs on.
  if (row.revokedAt) return null;
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return null;
  const staleBefore = new Date(now.getTime() - LAST_USED_PRECISION_MS);
  if (!row.lastUsedAt || row.lastUsedAt < staleBefore) {
    const write = prisma.$executeRaw`
      UPDATE api_keys SET last_used_at = ${now}
      WHERE id = ${row.id}::uuid AND (last_used_at IS NULL OR last_used_at < ${staleBefore})`.catch(
      (error: unknown) => options.onLastUsedError?.(error),
    );
    options.onLastUsedWrite?.(write);
  }
  const granted = knownPermissions(row.permissions);
  return {
    principal: {
      kind: "organization",
      id: row.organizationId,
      orgId: row.organizationId,
      permissions: granted,
      apiKey: { id: row.id, orgId: row.organizationId, permissions: granted },
    },
    expiresAt: row.expiresAt,
  };
}

/** What request handlers hold: verification and management bound to a database and a clock. */
export type ApiKeyService = ApiKeyVerifier & {
  readonly prisma: PrismaClient;
  readonly now: () => Date;
};

export function createApiKeyVerifier(
  prisma: PrismaClient,
  now: () => Date = () => new Date(),
  options: VerifyOptions = {},
): ApiKeyService {
  return { prisma, now, verify: (key) => verifyApiKeyWithExpiry(prisma, key, now(), options) };
}

/** A key as the API shows it (epoch ms, with its status at `now`). */
export function toApiKeyView(key: ApiKeySummary, now: Date): ApiKeyView {
  const view = {
    id: key.id,
    orgId: key.organizationId,
    prefix: key.prefix,
    name: key.name,
    permissions: key.permissions,
    createdAt: key.createdAt.getTime(),
    lastUsedAt: key.lastUsedAt?.getTime() ?? null,
    expiresAt: key.expiresAt?.getTime() ?? null,
    revokedAt: key.revokedAt?.getTime() ?? null,
    rotatedAt: key.rotatedAt?.getTime() ?? null,
    replacedById: key.replacedById,
  };
  return { ...view, status: apiKeyStatus(view, now.getTime()) };
}

export function toOrganizationView(org: OrganizationRecord): OrganizationView {
  return { id: org.id, name: org.name, createdAt: new Date(org.createdAt).getTime() };
}

function keyDetails(key: ApiKeySummary): Record<string, unknown> {
  return {
    prefix: key.prefix,
    name: key.name,
    organizationId: key.organizationId,
    permissions: key.permissions,
    expiresAt: key.expiresAt?.toISOString() ?? null,
  };
}

// A permission removed from the code since the key was issued grants nothing rather than failing.
function knownPermissions(stored: readonly string[]): Permission[] {
  return stored.flatMap((value) => {
    const result = permissionSchema.safeParse(value);
    return result.success ? [result.data] : [];
  });
}

function toSummary(
  row: Omit<ApiKeySummary, "permissions" | "replacedById"> & {
    permissions: string[];
    replacedById: string | null;
  },
): ApiKeySummary {
  return { ...row, permissions: knownPermissions(row.permissions) };
}
