import { randomUUID } from "node:crypto";
import {
  ConflictError,
  MAX_FIELD_LENGTH,
  NotFoundError,
  type Permission,
  type Principal,
  parseOrThrow,
  permissionSchema,
} from "@hub/shared";
import { z } from "zod";
import { violatedUniqueConstraint } from "../event-store/errors.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import {
  API_KEY_PREFIX_PATTERN,
  apiKeySecretMatches,
  generateApiKey,
  hashApiKeySecret,
  parseApiKey,
} from "./api-key-format.ts";

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
};

/** `key` exists only in this value, once: it is not stored and cannot be recovered. */
export type IssuedApiKey = { readonly id: string; readonly prefix: string; readonly key: string };

export type IssueApiKeyInput = {
  readonly organizationId: string;
  readonly name: string;
  readonly permissions: readonly Permission[];
  readonly expiresAt?: Date;
  readonly now: Date;
};

export type ApiKeyVerifier = { verify(key: string): Promise<Principal | null> };

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
const summaryColumns = {
  id: true,
  organizationId: true,
  name: true,
  prefix: true,
  permissions: true,
  createdAt: true,
  expiresAt: true,
  revokedAt: true,
} as const;
// Collisions of 12 base62 characters are astronomically rare; retrying costs nothing and removes the case.
const PREFIX_ATTEMPTS = 3;

export async function createOrganization(prisma: PrismaClient, name: string): Promise<OrganizationRecord> {
  const validName = parseOrThrow(nameSchema("name"), name, "Invalid organization name");
  try {
    return await prisma.organization.create({
      data: { id: randomUUID(), name: validName },
      select: { id: true, name: true, createdAt: true },
    });
  } catch (error) {
    if (violatedUniqueConstraint(error))
      throw new ConflictError(`An organization named '${validName}' already exists`, "name");
    throw error;
  }
}

export async function issueApiKey(prisma: PrismaClient, input: IssueApiKeyInput): Promise<IssuedApiKey> {
  const valid = parseOrThrow(issueInputSchema, input, "Invalid API key parameters");
  const organization = await prisma.organization.findUnique({
    where: { id: valid.organizationId },
    select: { id: true },
  });
  if (!organization) throw new NotFoundError(`Organization ${valid.organizationId} does not exist`);

  for (let attempt = 1; ; attempt++) {
    const { prefix, secret, key } = generateApiKey();
    try {
      const row = await prisma.apiKey.create({
        data: {
          id: randomUUID(),
          organizationId: organization.id,
          name: valid.name,
          prefix,
          hash: hashApiKeySecret(secret),
          permissions: [...new Set(valid.permissions)],
          createdAt: valid.now,
          expiresAt: valid.expiresAt ?? null,
        },
        select: { id: true, prefix: true },
      });
      return { id: row.id, prefix: row.prefix, key };
    } catch (error) {
      if (attempt < PREFIX_ATTEMPTS && violatedUniqueConstraint(error) === "api_keys_prefix_key") continue;
      throw error;
    }
  }
}

/** Revoking twice keeps the first revocation time; either way the key is dead from `now` on. */
export async function revokeApiKey(
  prisma: PrismaClient,
  idOrPrefix: string,
  now: Date,
): Promise<ApiKeySummary> {
  const where = organizationIdSchema.safeParse(idOrPrefix).success
    ? { id: idOrPrefix }
    : API_KEY_PREFIX_PATTERN.test(idOrPrefix)
      ? { prefix: idOrPrefix }
      : undefined;
  const row = where ? await prisma.apiKey.findUnique({ where, select: summaryColumns }) : null;
  if (!row) throw new NotFoundError("No API key has this id or prefix");
  if (row.revokedAt) return toSummary(row);
  const updated = await prisma.apiKey.update({
    where: { id: row.id },
    data: { revokedAt: now },
    select: summaryColumns,
  });
  return toSummary(updated);
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

/**
 * The organization principal a key stands for, or null for anything that is not a live key:
 * malformed (rejected before any query), unknown prefix, wrong secret, revoked or expired. The
 * reasons are deliberately not told apart, so callers cannot probe which prefixes exist.
 */
export async function verifyApiKey(prisma: PrismaClient, key: string, now: Date): Promise<Principal | null> {
  const parsed = parseApiKey(key);
  if (!parsed) return null;
  const row = await prisma.apiKey.findUnique({
    where: { prefix: parsed.prefix },
    select: { organizationId: true, hash: true, permissions: true, expiresAt: true, revokedAt: true },
  });
  if (!row || !apiKeySecretMatches(parsed.secret, row.hash)) return null;
  // Revocation is immediate and final, whatever clock the verifier runs on.
  if (row.revokedAt) return null;
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return null;
  return {
    kind: "organization",
    id: row.organizationId,
    orgId: row.organizationId,
    permissions: knownPermissions(row.permissions),
  };
}

/** What request handlers hold: verification bound to a database and a clock. */
export function createApiKeyVerifier(
  prisma: PrismaClient,
  now: () => Date = () => new Date(),
): ApiKeyVerifier {
  return { verify: (key) => verifyApiKey(prisma, key, now()) };
}

// A permission removed from the code since the key was issued grants nothing rather than failing.
function knownPermissions(stored: readonly string[]): Permission[] {
  return stored.flatMap((value) => {
    const result = permissionSchema.safeParse(value);
    return result.success ? [result.data] : [];
  });
}

function toSummary(row: Omit<ApiKeySummary, "permissions"> & { permissions: string[] }): ApiKeySummary {
  return { ...row, permissions: knownPermissions(row.permissions) };
}
