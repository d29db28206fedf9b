import {
  CreateThingCommand,
  DescribeThingCommand,
  GetThingConnectivityDataCommand,
  IoTClient,
  ListThingsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  type ThingAttribute,
} from "@aws-sdk/client-iot";
import { thingNameSchema } from "@hub/shared";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import {
  type Command,
  parseCommandArgs,
  parsePositiveInteger,
  parseVariadicArgs,
  UsageError,
} from "./command.ts";
import type { CliEnv } from "./env.ts";

// Emulators check that a request is signed, not by whom; real AWS never sees these.
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
const LIST_PAGE_MAX = 250;

/**
 * The real SDK, so the same commands work against AWS and against the local emulator. Region and
 * endpoint come from the environment; credentials from the SDK's standard chain, except that a
 * local endpoint with no credentials configured gets dummy ones instead of a chain failure.
 */
export function createThingsClient(env: CliEnv): IoTClient {
  const useLocalCredentials = env.AWS_ENDPOINT_URL_IOT !== undefined && !env.awsCredentialsInEnv;
  return new IoTClient({
    region: env.AWS_REGION,
    ...(env.AWS_ENDPOINT_URL_IOT ? { endpoint: env.AWS_ENDPOINT_URL_IOT } : {}),
    ...(useLocalCredentials ? { credentials: LOCAL_CREDENTIALS } : {}),
    maxAttempts: 3,
    // Without timeouts an endpoint that never answers would hang the operator's terminal.
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 15_000 }),
  });
}

async function withThingsClient<T>(env: CliEnv, run: (client: IoTClient) => Promise<T>): Promise<T> {
  const client = createThingsClient(env);
  try {
    return await run(client);
  } catch (error) {
    throw new Error(describeAwsError(error));
  } finally {
    client.destroy();
  }
}

function thingName(value: string | undefined): string {
  const result = thingNameSchema.safeParse(value);
  if (!result.success) throw new UsageError(result.error.issues[0]?.message ?? "invalid thing name");
  return result.data;
}

function parseAttributes(pairs: readonly string[] | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const separator = pair.indexOf("=");
    if (separator <= 0) throw new UsageError(`--attr expects key=value, got '${pair}'`);
    const key = pair.slice(0, separator);
    if (Object.hasOwn(attributes, key)) throw new UsageError(`--attr '${key}' is given twice`);
    attributes[key] = pair.slice(separator + 1);
  }
  return attributes;
}

function formatAttributes(attributes: Record<string, string> | undefined): string {
  const entries = Object.entries(attributes ?? {});
  return entries.length === 0 ? "-" : entries.map(([key, value]) => `${key}=${value}`).join(",");
}

export const thingsCreate: Command = {
  usage: "things create <name> [--attr key=value ...]",
  async run({ env, args }) {
    const { values, positionals } = parseCommandArgs(args, { attr: { type: "string", multiple: true } }, [
      "name",
    ]);
    const name = thingName(positionals[0]);
    const attributes = parseAttributes(values.attr);
    const created = await withThingsClient(env, (client) =>
      client.send(
        new CreateThingCommand({
          thingName: name,
          ...(Object.keys(attributes).length > 0 ? { attributePayload: { attributes } } : {}),
        }),
      ),
    );
    const data = {
      thingName: created.thingName ?? name,
      thingArn: created.thingArn,
      thingId: created.thingId,
    };
    return { data, text: `Created thing ${data.thingName} (${data.thingArn ?? "no ARN"})` };
  },
};

export const thingsList: Command = {
  usage: "things list [--max N]",
  async run({ env, args }) {
    const { values } = parseCommandArgs(args, { max: { type: "string" } }, []);
    const max = parsePositiveInteger(values.max, "--max", 100_000) ?? 100;
    const things = await withThingsClient(env, async (client) => {
      const found: ThingAttribute[] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new ListThingsCommand({
            maxResults: Math.min(LIST_PAGE_MAX, max - found.length),
            ...(nextToken ? { nextToken } : {}),
          }),
        );
        found.push(...(page.things ?? []));
        nextToken = page.nextToken;
      } while (nextToken && found.length < max);
      return found.slice(0, max);
    });
    const data = things.map((thing) => ({
      thingName: thing.thingName,
      thingArn: thing.thingArn,
      thingTypeName: thing.thingTypeName,
      version: thing.version,
      attributes: thing.attributes ?? {},
    }));
    const text =
      data.length === 0
        ? "No things."
        : data
            .map(
              (thing) =>
                `${thing.thingName}\tv${thing.version ?? "?"}\t${formatAttributes(thing.attributes)}`,
            )
            .join("\n");
    return { data, text };
  },
};

export const thingsDescribe: Command = {
  usage: "things describe <name>",
  async run({ env, args }) {
    const { positionals } = parseCommandArgs(args, {}, ["name"]);
    const name = thingName(positionals[0]);
    const thing = await withThingsClient(env, (client) =>
      client.send(new DescribeThingCommand({ thingName: name })),
    );
    const data = {
      thingName: thing.thingName,
      thingArn: thing.thingArn,
      thingId: thing.thingId,
      thingTypeName: thing.thingTypeName,
      version: thing.version,
      attributes: thing.attributes ?? {},
    };
    const text = [
      `name:       ${data.thingName}`,
      `arn:        ${data.thingArn}`,
      `id:         ${data.thingId}`,
      `type:       ${data.thingTypeName ?? "-"}`,
      `version:    ${data.version}`,
      `attributes: ${formatAttributes(data.attributes)}`,
    ].join("\n");
    return { data, text };
  },
};

export const thingsConnectivity: Command = {
  usage: "things connectivity <name>",
  async run({ env, args }) {
    const { positionals } = parseCommandArgs(args, {}, ["name"]);
    const name = thingName(positionals[0]);
    const result = await withThingsClient(env, (client) =>
      client.send(new GetThingConnectivityDataCommand({ thingName: name })),
    );
    const data = {
      thingName: result.thingName ?? name,
      connected: result.connected ?? false,
      timestamp: result.timestamp?.getTime() ?? null,
      disconnectReason: result.disconnectReason ?? null,
    };
    return { data, text: `${data.thingName}: ${data.connected ? "connected" : "disconnected"}` };
  },
};

/**
 * A device connecting or dropping off, simulated on the local emulator (on AWS only the device
 * itself can connect). Reported back through GetThingConnectivityData, as hub-service reads it.
 */
function connectivityCommand(connected: boolean): Command {
  return {
    usage: `things ${connected ? "connect" : "disconnect"} <name>`,
    async run({ env, args }) {
      const { positionals } = parseCommandArgs(args, {}, ["name"]);
      const name = thingName(positionals[0]);
      if (!env.AWS_ENDPOINT_URL_IOT) {
        throw new UsageError(
          "things connect/disconnect simulate a device on the local registry emulator: set AWS_ENDPOINT_URL_IOT",
        );
      }
      const url = new URL(
        `/__emulator/things/${encodeURIComponent(name)}/connectivity`,
        env.AWS_ENDPOINT_URL_IOT,
      );
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ connected }),
        signal: AbortSignal.timeout(15_000),
      }).catch((error: unknown) => {
        throw new Error(`IoT registry emulator at ${url.origin}: ${(error as Error).message}`);
      });
      if (response.status === 404) throw new Error("AWS IoT: the thing does not exist");
      if (!response.ok) throw new Error(`IoT registry emulator answered ${response.status}`);
      const data = { thingName: name, connected };
      return { data, text: `${name}: ${connected ? "connected" : "disconnected"}` };
    },
  };
}

/** The emulator's control API at `path` (AWS_ENDPOINT_URL_IOT): a thing that does not exist is one line. */
async function emulatorCall(env: CliEnv, what: string, path: string, body?: unknown): Promise<Response> {
  if (!env.AWS_ENDPOINT_URL_IOT) {
    throw new UsageError(`${what} on the local registry emulator: set AWS_ENDPOINT_URL_IOT`);
  }
  const url = new URL(path, env.AWS_ENDPOINT_URL_IOT);
  const response = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  }).catch((error: unknown) => {
    throw new Error(`IoT registry emulator at ${url.origin}: ${(error as Error).message}`);
  });
  if (response.status === 404) throw new Error("AWS IoT: the thing does not exist");
  if (!response.ok) {
    // The emulator's 400 names what it refused ({"message": …}); first line only.
    const message = await response
      .json()
      .then((parsed: unknown) => {
        const text = (parsed as { message?: unknown } | null)?.message;
        return typeof text === "string" ? text : "";
      })
      .catch(() => "");
    throw new Error(
      `IoT registry emulator answered ${response.status}${message ? `: ${message.split("\n")[0]}` : ""}`,
    );
  }
  return response;
}

export const thingsConnect = connectivityCommand(true);
export const thingsDisconnect = connectivityCommand(false);

const HUB_WHAT = "things hub sets the simulated hub behind a Thing";
const HUB_MODES = ["answer", "fail", "reject", "silent", "offline"] as const;
type HubMode = (typeof HUB_MODES)[number];
type HubBehaviourView = { mode: HubMode; reason?: string; delayMs: number; firmwareVersion: string };

function describeHub(name: string, view: HubBehaviourView): string {
  return (
    `${name}: hub ${view.mode}${view.reason === undefined ? "" : ` (reason: ${view.reason})`}, ` +
    `answers after ${view.delayMs} ms, firmware ${view.firmwareVersion}`
  );
}

/**
 * The simulated hub behind a Thing on the local emulator (`/__emulator/things/:name/hub`): how it
 * answers the commands written into its shadow from now on, or (no mode) how it answers now.
 * `offline` also disconnects its device; leaving `offline` connects it again.
 */
export const thingsHub: Command = {
  usage: `things hub <name> [${HUB_MODES.join("|")}] [--reason R] [--delay-ms N] [--firmware V]`,
  async run({ env, args }) {
    const { values, positionals } = parseVariadicArgs(args, {
      reason: { type: "string" },
      "delay-ms": { type: "string" },
      firmware: { type: "string" },
    });
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError("expected <name> [mode]");
    const name = thingName(positionals[0]);
    const mode = positionals[1];
    const path = `/__emulator/things/${encodeURIComponent(name)}/hub`;
    if (mode === undefined) {
      if (values.reason !== undefined || values["delay-ms"] !== undefined || values.firmware !== undefined) {
        throw new UsageError("--reason, --delay-ms and --firmware go with a mode");
      }
      const view = (await (await emulatorCall(env, HUB_WHAT, path)).json()) as HubBehaviourView;
      return { data: { thingName: name, ...view }, text: describeHub(name, view) };
    }
    if (!(HUB_MODES as readonly string[]).includes(mode)) {
      throw new UsageError(`mode must be one of ${HUB_MODES.join(", ")}`);
    }
    const delayMs =
      values["delay-ms"] === "0" ? 0 : parsePositiveInteger(values["delay-ms"], "--delay-ms", 600_000);
    if (values.reason !== undefined && mode !== "fail" && mode !== "reject") {
      throw new UsageError("--reason goes with fail or reject (the reason the hub reports)");
    }
    const behaviour = {
      mode,
      ...(values.reason === undefined ? {} : { reason: values.reason }),
      ...(delayMs === undefined ? {} : { delayMs }),
      ...(values.firmware === undefined ? {} : { firmwareVersion: values.firmware }),
    };
    const view = (await (await emulatorCall(env, HUB_WHAT, path, behaviour)).json()) as HubBehaviourView;
    return { data: { thingName: name, ...view }, text: describeHub(name, view) };
  },
};

/** One line an operator can act on; SDK errors otherwise carry request ids and nested causes. */
function describeAwsError(error: unknown): string {
  if (error instanceof ResourceNotFoundException) return `AWS IoT: the thing does not exist`;
  if (error instanceof ResourceAlreadyExistsException) {
    return "AWS IoT: a thing with this name already exists with a different configuration";
  }
  if (error instanceof Error) {
    if (error.name === "CredentialsProviderError") {
      return "AWS IoT: no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)";
    }
    return `AWS IoT: ${error.name}: ${error.message}`;
  }
  return "AWS IoT: unknown error";
}
