import { userInfo } from "node:os";
import { MAX_KEY_OVERLAP_SECONDS, type Permission, permissionSchema, permissions } from "@hub/shared";
import {
  type Actor,
  type ApiKeySummary,
  createOrganization,
  issueApiKey,
  listApiKeys,
  listOrganizations,
  revokeApiKey,
  rotateApiKey,
  toolActor,
} from "../api-keys/api-keys.ts";
import { createDatabase } from "../db/client.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import {
  type Command,
  parseCommandArgs,
  parsePositiveInteger,
  requireOption,
  UsageError,
} from "./command.ts";
import type { CliEnv } from "./env.ts";

const DAY_MS = 86_400_000;

/**
 * The CLI acts directly on the database (it bootstraps the first admin), as an admin named after
 * the operating-system user; its audit records say so.
 */
export function cliActor(): Actor {
  let user = "unknown";
  try {
    user = userInfo().username || user;
  } catch {
    // No user entry (some containers): still recorded as the CLI.
  }
  return toolActor(`cli:${user}`);
}

/** Opens the database for one command and always closes it: an open PGlite fails the exit code. */
async function withPrisma<T>(env: CliEnv, run: (prisma: PrismaClient) => Promise<T>): Promise<T> {
  const db = await createDatabase({ url: env.DATABASE_URL, poolSize: 2 });
  try {
    return await run(db.prisma);
  } finally {
    await db.close();
  }
}

export function parsePermissions(values: readonly string[] | undefined): Permission[] {
  return (values ?? []).map((value) => {
    const result = permissionSchema.safeParse(value);
    if (!result.success)
      throw new UsageError(`unknown permission '${value}' (known: ${permissions.join(", ")})`);
    return result.data;
  });
}

export const orgsCreate: Command = {
  usage: "orgs create <name>",
  async run({ env, args }) {
    const { positionals } = parseCommandArgs(args, {}, ["name"]);
    const org = await withPrisma(env, (prisma) =>
      createOrganization(prisma, positionals[0] ?? "", cliActor()),
    );
    return { data: org, text: `Created organization ${org.name}\nid: ${org.id}` };
  },
};

export const keysIssue: Command = {
  usage: "keys issue --org <orgId> --name <name> [--permission hubs:provision ...] [--expires-in-days N]",
  async run({ env, args, now }) {
    const { values } = parseCommandArgs(
      args,
      {
        org: { type: "string" },
        name: { type: "string" },
        permission: { type: "string", multiple: true },
        "expires-in-days": { type: "string" },
      },
      [],
    );
    const organizationId = requireOption(values.org, "--org");
    const name = requireOption(values.name, "--name");
    const grants = parsePermissions(values.permission);
    const days = parsePositiveInteger(values["expires-in-days"], "--expires-in-days", 3650);
    const issuedAt = now();
    const expiresAt = days === undefined ? undefined : new Date(issuedAt.getTime() + days * DAY_MS);
    const issued = await withPrisma(env, (prisma) =>
      issueApiKey(prisma, {
        organizationId,
        name,
        permissions: grants,
        now: issuedAt,
        ...(expiresAt ? { expiresAt } : {}),
        actor: cliActor(),
      }),
    );
    const data = {
      id: issued.id,
      prefix: issued.prefix,
      key: issued.key,
      organizationId,
      name,
      permissions: grants,
      expiresAt: expiresAt?.toISOString() ?? null,
    };
    const text = [
      `Issued API key ${issued.prefix} (id ${issued.id}) for organization ${organizationId}`,
      `permissions: ${grants.join(", ") || "none"}`,
      `expires: ${data.expiresAt ?? "never"}`,
      "",
      issued.key,
    ].join("\n");
    return {
      data,
      text,
      warning: "Store this key now: it is not stored anywhere and cannot be shown again.",
    };
  },
};

export const keysRevoke: Command = {
  usage: "keys revoke <idOrPrefix>",
  async run({ env, args, now }) {
    const { positionals } = parseCommandArgs(args, {}, ["idOrPrefix"]);
    const revoked = await withPrisma(env, (prisma) =>
      revokeApiKey(prisma, positionals[0] ?? "", now(), cliActor()),
    );
    return {
      data: summaryJson(revoked),
      text: `Revoked API key ${revoked.prefix} (id ${revoked.id}) at ${revoked.revokedAt?.toISOString()}`,
    };
  },
};

export const keysList: Command = {
  usage: "keys list --org <orgId>",
  async run({ env, args, now }) {
    const { values } = parseCommandArgs(args, { org: { type: "string" } }, []);
    const organizationId = requireOption(values.org, "--org");
    const keys = await withPrisma(env, (prisma) => listApiKeys(prisma, organizationId));
    const at = now().getTime();
    const text =
      keys.length === 0
        ? "No API keys."
        : keys
            .map((key) =>
              [key.prefix, key.id, status(key, at), key.permissions.join(",") || "-", key.name].join("\t"),
            )
            .join("\n");
    return { data: keys.map(summaryJson), text };
  },
};

export const keysRotate: Command = {
  usage: "keys rotate <idOrPrefix> --overlap <seconds>",
  async run({ env, args, now }) {
    const { positionals, values } = parseCommandArgs(args, { overlap: { type: "string" } }, ["idOrPrefix"]);
    const overlapText = requireOption(values.overlap, "--overlap");
    if (!/^\d+$/.test(overlapText) || Number(overlapText) > MAX_KEY_OVERLAP_SECONDS)
      throw new UsageError(`--overlap must be a number of seconds from 0 to ${MAX_KEY_OVERLAP_SECONDS}`);
    const rotated = await withPrisma(env, (prisma) =>
      rotateApiKey(prisma, {
        idOrPrefix: positionals[0] ?? "",
        overlapSeconds: Number(overlapText),
        now: now(),
        actor: cliActor(),
      }),
    );
    const data = {
      key: rotated.key,
      apiKey: summaryJson(rotated.current),
      previous: summaryJson(rotated.previous),
      previousKeyRetiresAt: rotated.previousKeyRetiresAt.toISOString(),
    };
    const text = [
      `Rotated API key ${rotated.previous.prefix}: replaced by ${rotated.current.prefix} (id ${rotated.current.id})`,
      `the old key works until ${data.previousKeyRetiresAt}`,
      "",
      rotated.key,
    ].join("\n");
    return {
      data,
      text,
      warning: "Store this key now: it is not stored anywhere and cannot be shown again.",
    };
  },
};

export const orgsList: Command = {
  usage: "orgs list",
  async run({ env, args }) {
    parseCommandArgs(args, {}, []);
    const organizations = await withPrisma(env, async (prisma) => {
      const all = [];
      let after: string | undefined;
      for (;;) {
        const page = await listOrganizations(prisma, { first: 100, ...(after ? { after } : {}) });
        all.push(...page.edges.map((edge) => edge.node));
        if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return all;
        after = page.pageInfo.endCursor;
      }
    });
    const text =
      organizations.length === 0
        ? "No organizations."
        : organizations.map((org) => [org.id, org.name].join("\t")).join("\n");
    return {
      data: organizations.map((org) => ({ ...org, createdAt: new Date(org.createdAt).toISOString() })),
      text,
    };
  },
};

function status(key: ApiKeySummary, at: number): string {
  if (key.revokedAt) return "revoked";
  if (key.expiresAt && key.expiresAt.getTime() <= at) return "expired";
  if (key.rotatedAt && key.expiresAt) return `retiring at ${key.expiresAt.toISOString()}`;
  return key.expiresAt ? `active until ${key.expiresAt.toISOString()}` : "active";
}

function summaryJson(key: ApiKeySummary) {
  return {
    ...key,
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    rotatedAt: key.rotatedAt?.toISOString() ?? null,
  };
}
