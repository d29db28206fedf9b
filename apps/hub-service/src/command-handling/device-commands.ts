import { createHmac, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ConflictError,
  type DeviceCommandName,
  type DeviceCommandResult,
  type HubCommandState,
  type LifecycleCommandBody,
  type RequestContext,
  redactArgs,
  type ShadowCommand,
  ShadowUpdateError,
  shadowCommandOf,
  UnavailableError,
  ValidationError,
} from "@hub/shared";
import type { EventStore } from "../event-store/event-store.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { decide, type HubCommand, type SentCommandData } from "../hub/decide.ts";
import { evolve, type Hub, type HubEvent } from "../hub/hub.ts";
import type { IotDataPlane } from "../iot/iot-data-plane.ts";
import { checkCaller, handleCommand } from "./handle-command.ts";
import { type CommandContext, eventMetadataFrom, hubPipeline } from "./hub-command-service.ts";

/** What this module needs of the AWS IoT data plane (the Device Shadow REST API). */
export type ShadowPort = Pick<IotDataPlane, "getShadow" | "updateShadow">;
type ShadowWrite = Awaited<ReturnType<ShadowPort["updateShadow"]>>;

export type DeviceCommandsDeps = {
  readonly store: EventStore;
  readonly prisma: PrismaClient;
  readonly dataPlane: ShadowPort;
  readonly now: () => number;
  /** How long a hub has to report a command's outcome (HUB_COMMAND_TIMEOUT). */
  readonly timeoutMs: number;
  /** Keys the payload digest, so a digest of a low-entropy secret (a Wi-Fi password) reveals nothing. */
  readonly digestKey: Uint8Array;
  /** How long a sender holds a command id while it writes the shadow and records it (default 5 s). */
  readonly leaseMs?: number;
  readonly maxConcurrencyRetries?: number;
  /** Something went wrong outside any caller's request (cleanup of `desired`, a sweep). */
  readonly onBackgroundError?: (what: string, error: unknown) => void;
};

export type DeviceCommands = {
  /** Writes the command into the hub's shadow, then records it as sent (once per command id). */
  send<N extends DeviceCommandName>(
    name: N,
    body: LifecycleCommandBody<N>,
    context: CommandContext,
  ): Promise<DeviceCommandResult>;
  /** The topic rule's messages (shadow update documents, presence events), in any order, any number of times. */
  ingest(messages: readonly RuleMessage[]): Promise<IngestSummary>;
  /** Times out the commands past their deadline, after a last read of each hub's shadow. */
  sweep(): Promise<number>;
};

/** A shadow update document as the rule forwards it (`SELECT *, topic(3) AS thingName …`). */
export type ShadowDocumentMessage = {
  readonly messageType: "shadow-document";
  readonly thingName: string;
  readonly timestamp?: number | undefined;
  readonly current?: { readonly state?: ShadowState | undefined } | undefined;
};
export type ShadowState = {
  readonly desired?: { readonly commands?: Record<string, unknown> | null | undefined } | null | undefined;
  readonly reported?: { readonly commands?: Record<string, unknown> | null | undefined } | null | undefined;
};
/** An AWS IoT lifecycle event of the hub's Thing (its MQTT client id is the Thing name). */
export type PresenceMessage = {
  readonly messageType: "presence";
  readonly clientId: string;
  readonly timestamp: number;
  readonly eventType: "connected" | "disconnected";
  readonly versionNumber: number;
  readonly disconnectReason?: string | undefined;
  readonly sessionIdentifier?: string | undefined;
};
export type RuleMessage = ShadowDocumentMessage | PresenceMessage;

export type IngestSummary = {
  readonly messages: number;
  /** Events appended from them (a redelivered or stale message appends none). */
  readonly events: number;
  /** Messages about Things that are no hub of ours. */
  readonly unknownThings: number;
};

const terminalOutcomes = ["SUCCEEDED", "FAILED", "REJECTED"] as const;
type TerminalOutcome = (typeof terminalOutcomes)[number];

/** The shape the hub reports a command's outcome in (`reported.commands.<id>`). */
type ReportedCommand = {
  readonly status: TerminalOutcome;
  readonly result?: unknown;
  readonly reason?: unknown;
};

function reportedOutcome(value: unknown): ReportedCommand | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const status = (value as { status?: unknown }).status;
  return terminalOutcomes.includes(status as TerminalOutcome) ? (value as ReportedCommand) : undefined;
}

function desiredCommand(value: unknown): ShadowCommand | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const { command, args } = value as { command?: unknown; args?: unknown };
  if (typeof command !== "string" || command.length === 0) return undefined;
  const validArgs = args !== null && typeof args === "object" && !Array.isArray(args);
  return { command, ...(validArgs ? { args: args as Record<string, unknown> } : {}) };
}

/** JSON with object keys sorted, so equal payloads have equal digests whatever their key order. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, inner]) => inner !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(",")}}`;
}

/** The system's own caller for what the topic rule and the time-out sweep record. */
function iotContext(id: string): RequestContext {
  const requestId = randomUUID();
  return {
    principal: { kind: "service", id, permissions: [] },
    requestId,
    correlationId: requestId,
    source: "iot",
  };
}

/** The hub's results may echo an argument; a secret one (by name) is dropped, as from the event. */
function safeResult(command: string, result: unknown): Record<string, unknown> | undefined {
  if (result === null || typeof result !== "object" || Array.isArray(result)) return undefined;
  return redactArgs(command, result as Record<string, unknown>).args;
}

function reasonText(reason: unknown): string | undefined {
  if (typeof reason !== "string" || reason.length === 0) return undefined;
  return reason.slice(0, 512);
}

/** Decides several commands in order, each on the state the previous ones left. */
function decideAll(commands: readonly HubCommand[], state: Hub): HubEvent[] {
  const events: HubEvent[] = [];
  let current = state;
  for (const command of commands) {
    for (const event of decide(command, current)) {
      current = evolve(current, event);
      events.push(event);
    }
  }
  return events;
}

/**
 * Commands to the hub itself, through its Device Shadow, tracked to a terminal state:
 *
 * - **send**: decide on the hub's state (404, 409 suspended/decommissioned, the same command id
 *   again → the same command, another payload under it → 409); take the command id's lease (one
 *   writer across replicas, so 32 concurrent sends of one id write the shadow once); write
 *   `desired.commands.<id>`; only once the shadow accepted it, append HubCommandSent. A failed
 *   write records nothing (502; 503 + Retry-After when throttled or the breaker is open).
 * - **ingest**: the topic rule's shadow update documents move commands to SUCCEEDED, FAILED or
 *   REJECTED from `reported.commands.<id>`; a command found in `desired` that was never recorded
 *   (its sender died between the shadow write and the append) is recorded then. Presence events
 *   become HubConnected/HubDisconnected. Every transition happens once, whatever the order and
 *   number of deliveries (the deciders ignore what no longer applies).
 * - **sweep**: a command past its deadline is first looked up in the shadow (a lost document
 *   must not lose a result), and only then timed out.
 * A terminal command is removed from `desired` (best effort; any later document showing it there
 * removes it again).
 */
export function createDeviceCommands(deps: DeviceCommandsDeps): DeviceCommands {
  const pipeline = hubPipeline(deps.store, deps.maxConcurrencyRetries);
  const leaseMs = deps.leaseMs ?? 5000;
  const { prisma } = deps;

  function digest(hubId: string, shadow: ShadowCommand): string {
    return createHmac("sha256", deps.digestKey)
      .update(canonical([hubId.toLowerCase(), shadow.command, shadow.args ?? null]))
      .digest("base64url");
  }

  function sentData(hubId: string, commandId: string, shadow: ShadowCommand): SentCommandData {
    return {
      hubId,
      commandId,
      command: shadow.command,
      ...redactArgs(shadow.command, shadow.args),
      payloadDigest: digest(hubId, shadow),
      timeoutMs: deps.timeoutMs,
    };
  }

  async function readHub(hubId: string): Promise<{ version: number; state: Hub }> {
    const stream = await deps.store.readStream(hubId);
    return { version: stream.version, state: pipeline.fold(stream.events) };
  }

  function answer(hubId: string, version: number, commandId: string, state: Hub): DeviceCommandResult {
    const tracked = state.status === "Unprovisioned" ? undefined : state.commands.get(commandId);
    return {
      success: true,
      aggregateId: hubId,
      version,
      event: null,
      commandId,
      state: (tracked?.state ?? "SENT") as HubCommandState,
    };
  }

  /**
   * "ours" (or "taken-over": ours, from a sender whose lease lapsed — it died, or is very late —
   * so the shadow may hold the command already), or who holds it: the same payload (wait for it)
   * or another (a conflict).
   */
  async function takeLease(data: SentCommandData): Promise<"ours" | "taken-over" | "busy" | "conflict"> {
    const taken = await prisma.$queryRaw<{ taken_over: boolean }[]>`
      INSERT INTO hub_command_sends (command_id, hub_id, payload_digest, lease_until)
      VALUES (${data.commandId}, ${data.hubId}::uuid, ${data.payloadDigest},
              now() + ${leaseMs} * interval '1 millisecond')
      ON CONFLICT (command_id) DO UPDATE
        SET hub_id = EXCLUDED.hub_id, payload_digest = EXCLUDED.payload_digest, lease_until = EXCLUDED.lease_until
        WHERE hub_command_sends.lease_until < now()
          AND hub_command_sends.payload_digest = EXCLUDED.payload_digest
      RETURNING (xmax::text::bigint <> 0) AS taken_over`;
    const [row] = taken;
    if (row) return row.taken_over ? "taken-over" : "ours";
    const [holder] = await prisma.$queryRaw<{ payload_digest: string }[]>`
      SELECT payload_digest FROM hub_command_sends WHERE command_id = ${data.commandId}`;
    if (!holder) return "busy"; // released just now: try again
    return holder.payload_digest === data.payloadDigest ? "busy" : "conflict";
  }

  async function releaseLease(commandId: string): Promise<void> {
    await prisma.$executeRaw`DELETE FROM hub_command_sends WHERE command_id = ${commandId}`;
  }

  /** Whether the hub's shadow holds the command in `desired` already (a lapsed sender wrote it). */
  async function inDesired(thingName: string, commandId: string, context: CommandContext): Promise<boolean> {
    const read = await deps.dataPlane.getShadow(thingName, {
      deadline: context.deadline,
      signal: context.signal,
    });
    if (read.outcome === "missing") return false;
    if (read.outcome !== "found") {
      checkCaller(context);
      throw new UnavailableError("The AWS IoT data plane is temporarily unavailable. Please retry later", 1);
    }
    const commands = (read.document.state?.desired as ShadowState["desired"])?.commands ?? {};
    return desiredCommand(commands[commandId]) !== undefined;
  }

  const reused = (commandId: string) =>
    new ConflictError(
      `commandId ${commandId} was already used for another command`,
      "commandId",
      "COMMAND_ID_REUSED",
    );

  /** A command id is global: used on another hub, it is a reuse. */
  async function usedElsewhere(commandId: string, hubId: string): Promise<boolean> {
    const rows = await prisma.$queryRaw<{ hub_id: string }[]>`
      SELECT hub_id::text FROM hub_commands WHERE command_id = ${commandId}`;
    return rows.some((row) => row.hub_id.toLowerCase() !== hubId.toLowerCase());
  }

  function writeFailure(
    hubId: string,
    written: Exclude<Awaited<ReturnType<ShadowPort["updateShadow"]>>, { outcome: "accepted" }>,
  ) {
    if (written.outcome === "rejected") {
      if (written.status === 400 || written.status === 413) {
        return new ValidationError(`The hub's Device Shadow refused the command: ${written.reason}`, [
          { field: "args", message: written.reason },
        ]);
      }
      return new ShadowUpdateError(hubId, written.code);
    }
    if (written.throttled || written.reason === "circuit open") {
      return new UnavailableError(
        "The AWS IoT data plane is temporarily unavailable. Please retry later",
        written.retryAfterSeconds ?? 1,
      );
    }
    return new ShadowUpdateError(hubId, "could not reach AWS IoT");
  }

  /**
   * Sends of one command id and payload in progress in this process: a concurrent same send
   * waits for that one instead of polling the database for the lease (other replicas do poll).
   */
  const inFlight = new Map<string, Promise<DeviceCommandResult>>();

  async function send<N extends DeviceCommandName>(
    name: N,
    body: LifecycleCommandBody<N>,
    context: CommandContext,
  ): Promise<DeviceCommandResult> {
    checkCaller(context);
    const hubId = body.hubId;
    const commandId = body.commandId ?? randomUUID();
    const shadow = shadowCommandOf(name, body);
    const data = sentData(hubId, commandId, shadow);
    const key = `${commandId}\u0000${data.payloadDigest}`;
    const running = inFlight.get(key);
    if (running) return running;
    const sending = sendOnce(name, data, shadow, context).finally(() => inFlight.delete(key));
    inFlight.set(key, sending);
    return sending;
  }

  /** `shadow` is the command as the hub gets it, secrets included; `data` as it is recorded. */
  async function sendOnce(
    name: DeviceCommandName,
    data: SentCommandData,
    shadow: ShadowCommand,
    context: CommandContext,
  ): Promise<DeviceCommandResult> {
    const { hubId, commandId } = data;
    const command = (): HubCommand => ({ type: name, data, metadata: { now: deps.now() } }) as HubCommand;

    let read = await readHub(hubId);
    if (decide(command(), read.state).length === 0) return answer(hubId, read.version, commandId, read.state);
    if (await usedElsewhere(commandId, hubId)) throw reused(commandId);

    // One writer of this id at a time; the others wait for its record (or for its lease to lapse).
    let lease: Awaited<ReturnType<typeof takeLease>>;
    for (let wait = 25; ; wait = Math.min(wait * 2, 250)) {
      lease = await takeLease(data);
      if (lease === "conflict") throw reused(commandId);
      read = await readHub(hubId);
      if (decide(command(), read.state).length === 0) {
        if (lease === "ours" || lease === "taken-over") await releaseLease(commandId);
        return answer(hubId, read.version, commandId, read.state);
      }
      if (lease !== "busy") break;
      checkCaller(context);
      await sleep(wait);
    }

    // Once the shadow holds the command and it is not recorded, the lease stays until it lapses:
    // the sweep (or a retry) then records it from the shadow.
    let written = false;
    try {
      if (read.state.status === "Unprovisioned") throw new Error("unreachable: decided on a provisioned hub");
      const thingName = read.state.provisioning.thingName;
      checkCaller(context);
      // A lapsed sender may have written it before it died: never a second write.
      written = lease === "taken-over" && (await inDesired(thingName, commandId, context));
      if (!written) {
        const update = await deps.dataPlane.updateShadow(
          thingName,
          { state: { desired: { commands: { [commandId]: shadow } } }, clientToken: commandId },
          { deadline: context.deadline, signal: context.signal },
        );
        if (update.outcome !== "accepted") {
          checkCaller(context);
          throw writeFailure(hubId, update);
        }
        written = true;
      }
      // The hub has the command now: it is recorded whatever happens to the caller or the hub's
      // state meanwhile (AdoptHubCommand decides on nothing but the id).
      const handled = await handleCommand(
        pipeline,
        hubId,
        (state) =>
          decide(
            { type: "AdoptHubCommand", data: { ...data, sentAt: deps.now() }, metadata: { now: deps.now() } },
            state,
          ),
        { metadata: eventMetadataFrom(context) },
      );
      const result = answer(hubId, handled.version, commandId, foldAfter(handled.state, handled.events));
      written = false; // recorded: the lease has done its work
      return result;
    } finally {
      if (!written) await releaseLease(commandId);
    }
  }

  function foldAfter(state: Hub, events: readonly { type: string; data: unknown }[]): Hub {
    return events.reduce<Hub>((current, event) => evolve(current, event as HubEvent), state);
  }

  /** Removes terminal commands from the hub's `desired` (the hub then forgets their reports). */
  async function clearDesired(thingName: string, commandIds: readonly string[]): Promise<void> {
    if (commandIds.length === 0) return;
    const commands = Object.fromEntries(commandIds.map((id) => [id, null]));
    try {
      const cleared = await deps.dataPlane.updateShadow(thingName, { state: { desired: { commands } } });
      if (cleared.outcome !== "accepted") {
        deps.onBackgroundError?.("clearing terminal commands from desired", new Error(cleared.outcome));
      }
    } catch (error) {
      deps.onBackgroundError?.("clearing terminal commands from desired", error);
    }
  }

  /** Terminal commands still in `desired`, per the state after the hub's events. */
  function terminalIn(state: Hub, desiredIds: Iterable<string>): string[] {
    if (state.status === "Unprovisioned") return [];
    return [...desiredIds].filter((id) => {
      const tracked = state.commands.get(id);
      return tracked !== undefined && tracked.state !== "SENT";
    });
  }

  async function commandStates(commandIds: readonly string[]): Promise<Map<string, string>> {
    if (commandIds.length === 0) return new Map();
    const rows = await prisma.$queryRaw<{ command_id: string; state: string }[]>`
      SELECT command_id, state FROM hub_commands WHERE command_id = ANY(${commandIds}::text[])`;
    return new Map(rows.map((row) => [row.command_id, row.state]));
  }

  async function liveLeases(commandIds: readonly string[]): Promise<Set<string>> {
    if (commandIds.length === 0) return new Set();
    const rows = await prisma.$queryRaw<{ command_id: string }[]>`
      SELECT command_id FROM hub_command_sends WHERE command_id = ANY(${commandIds}::text[]) AND lease_until >= now()`;
    return new Set(rows.map((row) => row.command_id));
  }

  /** The commands one hub's messages ask for, in an order that is safe whatever they arrived in. */
  function commandsFrom(
    hubId: string,
    messages: readonly RuleMessage[],
    leased: ReadonlySet<string>,
  ): { commands: HubCommand[]; desiredIds: Set<string> } {
    const now = deps.now();
    const adopt: HubCommand[] = [];
    const complete: HubCommand[] = [];
    const desiredIds = new Set<string>();
    const presence = messages
      .filter((m): m is PresenceMessage => m.messageType === "presence")
      .sort((a, b) => a.versionNumber - b.versionNumber);
    for (const message of messages) {
      if (message.messageType !== "shadow-document") continue;
      const desired = message.current?.state?.desired?.commands ?? {};
      const reported = message.current?.state?.reported?.commands ?? {};
      for (const [commandId, value] of Object.entries(desired)) {
        const shadow = desiredCommand(value);
        if (!shadow) continue;
        desiredIds.add(commandId);
        // A sender holding the id's lease records it itself (with its caller as the actor).
        if (leased.has(commandId)) continue;
        const sentAt = message.timestamp !== undefined ? message.timestamp * 1000 : now;
        adopt.push({
          type: "AdoptHubCommand",
          data: { ...sentData(hubId, commandId, shadow), sentAt },
          metadata: { now },
        });
      }
      for (const [commandId, value] of Object.entries(reported)) {
        const outcome = reportedOutcome(value);
        if (!outcome) continue;
        const commandName = desiredCommand(desired[commandId])?.command ?? "";
        const result = outcome.status === "SUCCEEDED" ? safeResult(commandName, outcome.result) : undefined;
        const reason = reasonText(outcome.reason);
        complete.push({
          type: "CompleteHubCommand",
          data: {
            hubId,
            commandId,
            outcome: outcome.status,
            ...(result ? { result } : {}),
            ...(reason ? { reason } : {}),
          },
          metadata: { now },
        });
      }
    }
    const connectivity: HubCommand[] = presence.map((message) => ({
      type: "RecordPresence",
      data: {
        hubId,
        connected: message.eventType === "connected",
        versionNumber: message.versionNumber,
        at: message.timestamp,
        ...(message.disconnectReason ? { disconnectReason: message.disconnectReason.slice(0, 128) } : {}),
        ...(message.sessionIdentifier ? { sessionIdentifier: message.sessionIdentifier.slice(0, 128) } : {}),
      },
      metadata: { now },
    }));
    return { commands: [...adopt, ...complete, ...connectivity], desiredIds };
  }

  /**
   * The result a completion reports uses the command's own name for its secret arguments; a
   * command adopted from `desired` in the same batch has it there. For one already recorded, the
   * name comes from the hub's state: completions are re-made with it before deciding.
   */
  function withCommandNames(commands: readonly HubCommand[], state: Hub): HubCommand[] {
    if (state.status === "Unprovisioned") return [...commands];
    return commands.map((command) => {
      if (command.type !== "CompleteHubCommand" || command.data.result === undefined) return command;
      const name = state.commands.get(command.data.commandId)?.command;
      if (!name) return command;
      const result = safeResult(name, command.data.result);
      return { ...command, data: { ...command.data, ...(result ? { result } : {}) } };
    });
  }

  async function ingest(messages: readonly RuleMessage[]): Promise<IngestSummary> {
    const thingOf = (m: RuleMessage) => (m.messageType === "presence" ? m.clientId : m.thingName);
    const byThing = new Map<string, RuleMessage[]>();
    for (const message of messages) {
      const list = byThing.get(thingOf(message)) ?? [];
      list.push(message);
      byThing.set(thingOf(message), list);
    }
    const things = [...byThing.keys()];
    const hubs = await prisma.$queryRaw<{ id: string; thing_name: string }[]>`
      SELECT id::text, thing_name FROM hubs WHERE thing_name = ANY(${things}::text[])`;
    const hubOf = new Map(hubs.map((row) => [row.thing_name, row.id]));
    let events = 0;
    let unknownThings = 0;
    const context = iotContext("iot-topic-rule");
    for (const [thingName, list] of byThing) {
      const hubId = hubOf.get(thingName);
      if (!hubId) {
        unknownThings += list.length;
        continue;
      }
      const desiredIdsSeen = list.flatMap((m) =>
        m.messageType === "shadow-document" ? Object.keys(m.current?.state?.desired?.commands ?? {}) : [],
      );
      const leased = await liveLeases(desiredIdsSeen);
      const all = commandsFrom(hubId, list, leased);
      // Most messages change nothing (our own clean-up writes, redeliveries, the hub forgetting an
      // answer): told from the read model in one query, without reading the hub's stream.
      const known = await commandStates([
        ...new Set([
          ...all.desiredIds,
          ...all.commands.flatMap((c) => ("commandId" in c.data ? [c.data.commandId] : [])),
        ]),
      ]);
      const commands = all.commands.filter((command) => {
        if (command.type === "AdoptHubCommand") return !known.has(command.data.commandId);
        if (command.type === "CompleteHubCommand")
          return (known.get(command.data.commandId) ?? "SENT") === "SENT";
        return true;
      });
      const desiredIds = all.desiredIds;
      if (commands.length === 0) {
        await clearDesired(
          thingName,
          [...desiredIds].filter((id) => (known.get(id) ?? "SENT") !== "SENT"),
        );
        continue;
      }
      const handled = await handleCommand(
        pipeline,
        hubId,
        (state) => decideAll(withCommandNames(commands, state), state),
        { metadata: eventMetadataFrom(context) },
      );
      events += handled.events.length;
      await clearDesired(thingName, terminalIn(foldAfter(handled.state, handled.events), desiredIds));
    }
    return { messages: messages.length, events, unknownThings };
  }

  /**
   * Leases whose sender lapsed (it died between taking the lease and recording): the command is
   * recorded if the shadow holds it (with the hub's answer, if any), and the lease dropped.
   */
  async function recoverLapsedSends(): Promise<number> {
    const lapsed = await prisma.$queryRaw<{ command_id: string; hub_id: string; thing_name: string }[]>`
      SELECT s.command_id, s.hub_id::text, h.thing_name
      FROM hub_command_sends s JOIN hubs h ON h.id = s.hub_id
      WHERE s.lease_until < now()
      ORDER BY s.lease_until
      LIMIT 50`;
    let recorded = 0;
    const context = iotContext("hub-command-recovery");
    for (const row of lapsed) {
      const read = await deps.dataPlane.getShadow(row.thing_name);
      if (read.outcome !== "found" && read.outcome !== "missing") continue; // next sweep
      const state = read.outcome === "found" ? (read.document.state as ShadowState | undefined) : undefined;
      const shadow = desiredCommand(state?.desired?.commands?.[row.command_id]);
      if (shadow) {
        const now = deps.now();
        const outcome = reportedOutcome(state?.reported?.commands?.[row.command_id]);
        const reason = reasonText(outcome?.reason);
        const result =
          outcome?.status === "SUCCEEDED" ? safeResult(shadow.command, outcome.result) : undefined;
        const commands: HubCommand[] = [
          {
            type: "AdoptHubCommand",
            data: { ...sentData(row.hub_id, row.command_id, shadow), sentAt: now },
            metadata: { now },
          },
          ...(outcome
            ? [
                {
                  type: "CompleteHubCommand" as const,
                  data: {
                    hubId: row.hub_id,
                    commandId: row.command_id,
                    outcome: outcome.status,
                    ...(result ? { result } : {}),
                    ...(reason ? { reason } : {}),
                  },
                  metadata: { now },
                },
              ]
            : []),
        ];
        const handled = await handleCommand(pipeline, row.hub_id, (current) => decideAll(commands, current), {
          metadata: eventMetadataFrom(context),
        });
        recorded += handled.events.length;
        if (outcome) await clearDesired(row.thing_name, [row.command_id]);
      }
      // Only a lease still lapsed: a retry may have taken it over meanwhile.
      await prisma.$executeRaw`
        DELETE FROM hub_command_sends WHERE command_id = ${row.command_id} AND lease_until < now()`;
    }
    return recorded;
  }

  async function sweep(): Promise<number> {
    const recovered = await recoverLapsedSends().catch((error: unknown) => {
      deps.onBackgroundError?.("recovering commands of lapsed senders", error);
      return 0;
    });
    const due = await prisma.$queryRaw<
      { command_id: string; hub_id: string; thing_name: string; overdue_ms: number }[]
    >`
      SELECT c.command_id, c.hub_id::text, h.thing_name,
             (EXTRACT(EPOCH FROM (now() - c.timeout_at)) * 1000)::float8 AS overdue_ms
      FROM hub_commands c JOIN hubs h ON h.id = c.hub_id
      WHERE c.state = 'SENT' AND c.timeout_at <= now()
      ORDER BY c.timeout_at
      LIMIT 100`;
    const byHub = new Map<string, typeof due>();
    for (const row of due) byHub.set(row.hub_id, [...(byHub.get(row.hub_id) ?? []), row]);
    const context = iotContext("hub-command-timeout");
    let moved = 0;
    for (const [hubId, rows] of byHub) {
      const thingName = rows[0]?.thing_name ?? "";
      const shadow = await deps.dataPlane.getShadow(thingName);
      // The shadow cannot be read now: wait for the next sweep, unless AWS has been unreachable
      // for long past the deadline (a command must end somewhere).
      const giveUp = rows.every((row) => row.overdue_ms > Math.max(60_000, deps.timeoutMs));
      if (shadow.outcome === "unavailable" && !giveUp) continue;
      const state =
        shadow.outcome === "found" ? (shadow.document as { state?: ShadowState }).state : undefined;
      const reported = state?.reported?.commands ?? {};
      const now = deps.now();
      const commands: HubCommand[] = rows.map((row) => {
        const outcome = reportedOutcome(reported[row.command_id]);
        if (!outcome) {
          return { type: "TimeOutHubCommand", data: { hubId, commandId: row.command_id }, metadata: { now } };
        }
        const result = outcome.status === "SUCCEEDED" ? safeResult("", outcome.result) : undefined;
        const reason = reasonText(outcome.reason);
        return {
          type: "CompleteHubCommand",
          data: {
            hubId,
            commandId: row.command_id,
            outcome: outcome.status,
            ...(result ? { result } : {}),
            ...(reason ? { reason } : {}),
          },
          metadata: { now },
        };
      });
      try {
        const handled = await handleCommand(
          pipeline,
          hubId,
          (current) => decideAll(withCommandNames(commands, current), current),
          { metadata: eventMetadataFrom(context) },
        );
        moved += handled.events.length;
        await clearDesired(
          thingName,
          rows.map((row) => row.command_id),
        );
      } catch (error) {
        deps.onBackgroundError?.("timing out hub commands", error);
      }
    }
    return moved + recovered;
  }

  return { send, ingest, sweep };
}

/**
 * Runs the time-out sweep every `intervalMs` (never two at once) until stopped. Every replica
 * sweeps: the deciders make a second replica's time-out of the same command a no-op.
 */
export function startCommandSweeper(
  device: Pick<DeviceCommands, "sweep">,
  intervalMs: number,
  onError: (error: unknown) => void,
): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    running = running.then(() => (stopped ? 0 : device.sweep().catch(onError)));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
