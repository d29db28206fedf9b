import { mintServiceToken } from "@hub/server-kit";
import {
  type AppErrorData,
  commandIdSchema,
  fromAppErrorData,
  type HubCommandView,
  hubCommandStates,
  hubIdSchema,
  PAGE_SIZE_MAX,
  parseOrThrow,
} from "@hub/shared";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import type { AppRouter } from "../trpc/router.ts";
import {
  type Command,
  type CommandContext,
  parseCommandArgs,
  parsePositiveInteger,
  UsageError,
} from "./command.ts";
import { DEV_SECRETS_FILE, loadOrCreateDevSecrets } from "./dev-secrets.ts";

/*
 * Commands to a hub (SendHubCommand), for operators. Unlike the webhook and key commands, these go
 * through a running hub-service (its tRPC API, as the service `cli`): sending writes the hub's
 * Device Shadow, which only hub-service can (it holds the AWS IoT data plane and the command id's
 * lease across replicas); reading goes the same way, with one URL and credential. The service
 * token is signed with SERVICE_JWT_SECRET (or the dev secret `npm start` uses).
 */

const DEFAULT_HUB_SERVICE_URL = "http://127.0.0.1:4001";

async function clientOf(context: CommandContext, url: string | undefined) {
  let secret = context.env.SERVICE_JWT_SECRET;
  if (!secret) {
    secret = (await loadOrCreateDevSecrets()).serviceJwtSecret;
    context.note(`SERVICE_JWT_SECRET is not set: signed with the dev secret in .data/${DEV_SECRETS_FILE}`);
  }
  const token = mintServiceToken(secret, "cli", 300);
  const base = (url ?? context.env.HUB_SERVICE_URL ?? DEFAULT_HUB_SERVICE_URL).replace(/\/$/, "");
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${base}/trpc`, headers: () => ({ authorization: `Bearer ${token}` }) })],
  });
}

/** hub-service's refusal as the shared error (one line for the operator); no answer says so. */
async function call<T>(promise: Promise<T>, url: string): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const data = (error.data ?? {}) as { appError?: AppErrorData };
      if (data.appError) throw fromAppErrorData(data.appError);
      if (error.data?.code === "UNAUTHORIZED") {
        throw new Error("hub-service refused the CLI's service token: set SERVICE_JWT_SECRET as it has it");
      }
      throw new Error(`hub-service at ${url} did not answer (${error.message}): is it running? (--url)`);
    }
    throw error;
  }
}

const urlOption = { url: { type: "string" } } as const;

function describeCommand(command: HubCommandView): string[] {
  return [
    `Command ${command.commandId} on hub ${command.hubId}: ${command.command} — ${command.state}`,
    `  sent ${new Date(command.sentAt).toISOString()} by ${command.sentBy.kind} ${command.sentBy.id}` +
      (command.sentBy.orgId ? ` (organization ${command.sentBy.orgId})` : ""),
    ...(command.args && Object.keys(command.args).length > 0
      ? [`  args ${JSON.stringify(command.args)}`]
      : []),
    ...(command.secretArgs.length > 0 ? [`  secret args (not shown) ${command.secretArgs.join(", ")}`] : []),
    command.completedAt !== null
      ? `  completed ${new Date(command.completedAt).toISOString()}`
      : `  times out ${new Date(command.timeoutAt).toISOString()}`,
    ...(command.result ? [`  result ${JSON.stringify(command.result)}`] : []),
    ...(command.reason ? [`  reason ${command.reason}`] : []),
  ];
}

export const hubsCommandSend: Command = {
  usage: "hubs command send <hubId> <command> [--args JSON] [--command-id <id>] [--url <hub-service URL>]",
  async run(context) {
    const { values, positionals } = parseCommandArgs(
      context.args,
      { args: { type: "string" }, "command-id": { type: "string" }, ...urlOption },
      ["hubId", "command"],
    );
    const [hubId, name] = positionals as [string, string];
    let args: unknown;
    if (values.args !== undefined) {
      try {
        args = JSON.parse(values.args);
      } catch {
        throw new UsageError("--args must be a JSON object");
      }
    }
    const client = await clientOf(context, values.url);
    const result = await call(
      client.hub.sendCommand.mutate({
        command: {
          hubId,
          command: name,
          ...(args !== undefined ? { args: args as Record<string, unknown> } : {}),
          ...(values["command-id"] !== undefined ? { commandId: values["command-id"] } : {}),
        },
      }),
      values.url ?? DEFAULT_HUB_SERVICE_URL,
    );
    return {
      data: result,
      text: [
        `Sent ${name} to hub ${result.aggregateId}: command ${result.commandId}, ${result.state} (hub version ${result.version})`,
        `Follow it: npm run cli -- hubs command get ${result.aggregateId} ${result.commandId}`,
      ].join("\n"),
    };
  },
};

export const hubsCommandGet: Command = {
  usage: "hubs command get <hubId> <commandId> [--url <hub-service URL>]",
  async run(context) {
    const { values, positionals } = parseCommandArgs(context.args, urlOption, ["hubId", "commandId"]);
    const hubId = parseOrThrow(hubIdSchema, positionals[0], "hubId must be a UUID");
    const commandId = parseOrThrow(commandIdSchema, positionals[1], "not a command id");
    const client = await clientOf(context, values.url);
    const command = await call(
      client.hub.command.query({ hubId, commandId }),
      values.url ?? DEFAULT_HUB_SERVICE_URL,
    );
    if (!command) throw new Error(`hub ${hubId} has no command ${commandId}`);
    return { data: command, text: describeCommand(command).join("\n") };
  },
};

export const hubsCommandList: Command = {
  usage: `hubs command list <hubId> [--state ${hubCommandStates.join("|")}] [--first <n ≤ ${PAGE_SIZE_MAX}>] [--after <cursor>] [--url <hub-service URL>]`,
  async run(context) {
    const { values, positionals } = parseCommandArgs(
      context.args,
      { state: { type: "string" }, first: { type: "string" }, after: { type: "string" }, ...urlOption },
      ["hubId"],
    );
    const hubId = parseOrThrow(hubIdSchema, positionals[0], "hubId must be a UUID");
    const state = values.state;
    if (state !== undefined && !(hubCommandStates as readonly string[]).includes(state)) {
      throw new UsageError(`--state must be one of ${hubCommandStates.join(", ")}`);
    }
    const first = parsePositiveInteger(values.first, "--first", PAGE_SIZE_MAX);
    const client = await clientOf(context, values.url);
    const page = await call(
      client.hub.commands.query({
        hubId,
        ...(state !== undefined ? { state: state as (typeof hubCommandStates)[number] } : {}),
        page: { ...(first !== undefined ? { first } : {}), ...(values.after ? { after: values.after } : {}) },
      }),
      values.url ?? DEFAULT_HUB_SERVICE_URL,
    );
    const commands = page.edges.map((edge) => edge.node);
    const lines = commands.map(
      (c) => `${new Date(c.sentAt).toISOString()}  ${c.state.padEnd(9)}  ${c.commandId}  ${c.command}`,
    );
    return {
      data: { commands, nextCursor: page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null },
      text: [
        commands.length === 0 ? `No commands on hub ${hubId}${state ? ` in state ${state}` : ""}` : "",
        ...lines,
        ...(page.pageInfo.hasNextPage ? [`(more: --after ${page.pageInfo.endCursor})`] : []),
      ]
        .filter((line) => line !== "")
        .join("\n"),
    };
  },
};
