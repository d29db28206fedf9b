import { isAppError, ValidationError } from "@hub/shared";
import { Prisma } from "../generated/prisma/client.ts";
import { type Command, UsageError } from "./command.ts";
import { loadCliEnv } from "./env.ts";
import { hubsCommandGet, hubsCommandList, hubsCommandSend } from "./hub-commands.ts";
import { hubsImport } from "./hubs-import.ts";
import { keysIssue, keysList, keysRevoke, keysRotate, orgsCreate, orgsList } from "./keys.ts";
import {
  thingsConnect,
  thingsConnectivity,
  thingsCreate,
  thingsDescribe,
  thingsDisconnect,
  thingsHub,
  thingsList,
} from "./things.ts";
import { tokensJwt, tokensService } from "./tokens.ts";
import {
  webhooksCreate,
  webhooksDelete,
  webhooksDeliveries,
  webhooksList,
  webhooksPause,
  webhooksReplay,
  webhooksResume,
  webhooksRotateSecret,
  webhooksUpdate,
} from "./webhooks.ts";

/**
 * Operator-only actions (org/key management, tokens): deliberately not exposed over any API. The
 * exceptions: `hubs import`, a client of the public REST API, for operators and partners alike, and
 * `hubs command`, which goes through a running hub-service (only it can write a hub's shadow).
 */
const commands: Record<string, Record<string, Command>> = {
  things: {
    create: thingsCreate,
    list: thingsList,
    describe: thingsDescribe,
    connectivity: thingsConnectivity,
    connect: thingsConnect,
    disconnect: thingsDisconnect,
    hub: thingsHub,
  },
  orgs: { create: orgsCreate, list: orgsList },
  keys: { issue: keysIssue, revoke: keysRevoke, list: keysList, rotate: keysRotate },
  tokens: { service: tokensService, jwt: tokensJwt },
  hubs: {
    import: hubsImport({ stderr: process.stderr }),
    "command send": hubsCommandSend,
    "command get": hubsCommandGet,
    "command list": hubsCommandList,
  },
  webhooks: {
    create: webhooksCreate,
    list: webhooksList,
    update: webhooksUpdate,
    pause: webhooksPause,
    resume: webhooksResume,
    delete: webhooksDelete,
    "rotate-secret": webhooksRotateSecret,
    deliveries: webhooksDeliveries,
    replay: webhooksReplay,
  },
};

function usage(): string {
  const lines = Object.values(commands).flatMap((group) =>
    Object.values(group).map((command) => `  ${command.usage}`),
  );
  return [
    "usage: npm run cli -- <command> [options] [--json]",
    "",
    ...lines,
    "",
    "env: DATABASE_URL (default pglite:.data/pglite), AWS_REGION, AWS_ENDPOINT_URL_IOT,",
    "     SERVICE_JWT_SECRET, GATEWAY_JWT_SECRET (default: .data/dev-secrets.json),",
    "     webhooks: WEBHOOK_SECRET_KEY, WEBHOOK_ALLOW_PRIVATE_URLS, NODE_ENV (as hub-service has them)",
    "     hubs command: HUB_SERVICE_URL (default http://127.0.0.1:4001; a running hub-service, which",
    "     writes the hub's Device Shadow), signed in as the service `cli` with SERVICE_JWT_SECRET",
  ].join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  const [group, first, ...rest] = argv;
  // Two-word commands (`hubs command send`) are keyed by both words.
  const twoWords = first !== undefined && rest[0] !== undefined ? `${first} ${rest[0]}` : undefined;
  const nested = group !== undefined && twoWords !== undefined && commands[group]?.[twoWords] !== undefined;
  const name = nested ? twoWords : first;
  const args = nested ? rest.slice(1) : rest;
  if (group === undefined || group === "help" || group === "--help" || group === "-h") {
    (group === undefined ? process.stderr : process.stdout).write(`${usage()}\n`);
    return group === undefined ? 1 : 0;
  }
  const command = name === undefined ? undefined : commands[group]?.[name];
  if (!command) {
    fail(`unknown command '${[group, name].filter(Boolean).join(" ")}' (run with --help for the list)`);
    return 1;
  }
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`usage: ${command.usage} [--json]\n`);
    return 0;
  }
  try {
    const result = await command.run({
      env: loadCliEnv(),
      args,
      now: () => new Date(),
      note: (line) => process.stderr.write(`note: ${line}\n`),
    });
    const json = args.includes("--json");
    process.stdout.write(json ? `${JSON.stringify(result.data, null, 2)}\n` : `${result.text}\n`);
    if (result.warning) process.stderr.write(`warning: ${result.warning}\n`);
    return result.exitCode ?? 0;
  } catch (error) {
    fail(error instanceof UsageError ? `${error.message} (usage: ${command.usage})` : describeError(error));
    return 1;
  }
}

/** Operators get one actionable line; stacks and multi-line driver messages stay out of the terminal. */
function describeError(error: unknown): string {
  if (error instanceof ValidationError && error.details.length > 0) {
    return `${error.message}: ${error.details.map((issue) => `${issue.field}: ${issue.message}`).join("; ")}`;
  }
  if (isAppError(error)) return error.message;
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2021") {
    return "the database is not migrated: run `npm run db:migrate` first";
  }
  if (error instanceof Error) return firstLine(error.message) || error.name;
  return "unexpected failure";
}

function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .map((line) => line.trim())
      .find((line) => line !== "") ?? ""
  );
}

function fail(message: string): void {
  process.stderr.write(`error: ${message}\n`);
}

// exitCode rather than exit(): stdout is flushed and every handle has been closed by the commands.
process.exitCode = await main(process.argv.slice(2));
