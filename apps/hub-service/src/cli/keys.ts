import { type Permission, permissionSchema, permissions } from "@hub/shared";
import {
  type ApiKeySummary,
  createOrganization,
  issueApiKey,
  listApiKeys,
  revokeApiKey,
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
    const org = await withPrisma(env, (prisma) => createOrganization(prisma, positionals[0] ?? ""));
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
      }),
    );
    const data = {
      ...issued,
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
    const revoked = await withPrisma(env, (prisma) => revokeApiKey(prisma, positionals[0] ?? "", now()));
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

function status(key: ApiKeySummary, at: number): string {
  if (key.revokedAt) return "revoked";
  if (key.expiresAt && key.expiresAt.getTime() <= at) return "expired";
  return key.expiresAt ? `active until ${key.expiresAt.toISOString()}` : "active";
}

function summaryJson(key: ApiKeySummary) {
  return {
    ...key,
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}
