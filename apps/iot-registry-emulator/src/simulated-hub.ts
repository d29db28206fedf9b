import { z } from "zod";
import type { EmulatorLogger } from "./http-server.ts";
import type { Json, JsonObject, ShadowState } from "./shadows.ts";

/**
 * A simulated hub device behind each Thing, speaking the shadow command protocol
 * (the protocol in this app's README): commands arrive in the classic shadow's `desired.commands.<id>`,
 * the hub answers in `reported.commands.<id>` by updating the shadow itself, as a device would over MQTT,
 * and removes its answer once the backend has cleared the command from desired.
 */

export const hubBehaviourSchema = z.strictObject({
  mode: z.enum(["answer", "fail", "reject", "silent", "offline"]),
  reason: z.string().min(1).max(256).optional(),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  firmwareVersion: z.string().min(1).max(64).optional(),
});

export type HubBehaviour = z.infer<typeof hubBehaviourSchema>;
export type HubMode = HubBehaviour["mode"];

export interface HubBehaviourView {
  mode: HubMode;
  reason?: string;
  delayMs: number;
  firmwareVersion: string;
}

export interface SimulatedHubsOptions {
  /** Writes the hub's own update into the Thing's classic shadow, as an accepted update from the device. */
  updateShadow(thingName: string, document: JsonObject): Promise<void>;
  /** Connects or disconnects the Thing's device (connectivity and presence events). */
  setConnected(thingName: string, connected: boolean, disconnectReason?: string): Promise<void>;
  /** The Thing's classic shadow state now, or undefined when it has none. */
  shadowState(thingName: string): ShadowState | undefined;
  /** Epoch ms the Thing's device last connected at, or undefined when it is not connected. */
  connectedSince(thingName: string): number | undefined;
  /** Default delay before the hub answers. Default 50 ms. */
  delayMs?: number;
  logger?: EmulatorLogger;
}

const DEFAULT_FIRMWARE = "1.4.2";
const DEFAULT_REASON: Record<"fail" | "reject", string> = {
  fail: "simulated failure",
  reject: "simulated rejection",
};

interface Hub {
  behaviour: HubBehaviour;
  /** Command ids answered (or being answered): a command is never executed twice. */
  answered: Set<string>;
  /** Command ids whose reported entry is being removed. */
  cleaning: Set<string>;
  nodes: { nodeId: number; commissionedAt: number }[];
}

type Answer = { status: "SUCCEEDED"; result: JsonObject } | { status: "FAILED" | "REJECTED"; reason: string };

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export class SimulatedHubs {
  private readonly hubs = new Map<string, Hub>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly startedAt = Date.now();
  private closed = false;

  constructor(private readonly options: SimulatedHubsOptions) {}

  private hub(thingName: string): Hub {
    let hub = this.hubs.get(thingName);
    if (hub === undefined) {
      hub = { behaviour: { mode: "answer" }, answered: new Set(), cleaning: new Set(), nodes: [] };
      this.hubs.set(thingName, hub);
    }
    return hub;
  }

  behaviour(thingName: string): HubBehaviourView {
    const { mode, reason, delayMs, firmwareVersion } = this.hub(thingName).behaviour;
    return {
      mode,
      ...(reason === undefined ? {} : { reason }),
      delayMs: delayMs ?? this.options.delayMs ?? 50,
      firmwareVersion: firmwareVersion ?? DEFAULT_FIRMWARE,
    };
  }

  /**
   * Sets how the hub behaves from now on. Going offline disconnects the device; leaving offline connects
   * it again. A hub that can answer again looks at its shadow once more, as a device does when it
   * (re)subscribes, so commands sent while it was offline or silent are answered then.
   */
  async setBehaviour(thingName: string, behaviour: HubBehaviour): Promise<void> {
    const hub = this.hub(thingName);
    const wasOffline = hub.behaviour.mode === "offline";
    hub.behaviour = hubBehaviourSchema.parse(behaviour);
    this.options.logger?.info({ thingName, mode: behaviour.mode }, "simulated hub behaviour set");
    if (behaviour.mode === "offline" && !wasOffline) {
      await this.options.setConnected(thingName, false, "CONNECTION_LOST");
    } else if (behaviour.mode !== "offline" && wasOffline) {
      await this.options.setConnected(thingName, true);
    }
    const state = this.options.shadowState(thingName);
    if (state !== undefined) this.onShadowAccepted(thingName, state);
  }

  /** Called after every accepted update of a Thing's classic shadow, with its state after the update. */
  onShadowAccepted(thingName: string, state: ShadowState): void {
    if (this.closed) return;
    const hub = this.hub(thingName);
    const { mode } = hub.behaviour;
    // A silent or offline device does not see the update (or pretends not to): it neither answers nor cleans up.
    if (mode === "silent" || mode === "offline") return;
    const desired = isObject(state.desired?.commands) ? state.desired.commands : {};
    const reported = isObject(state.reported?.commands) ? state.reported.commands : {};
    for (const [commandId, command] of Object.entries(desired)) {
      // Already answered in reported (by an earlier run of this hub, whose memory is gone): not run again.
      if (hub.answered.has(commandId) || commandId in reported) continue;
      hub.answered.add(commandId);
      this.later(thingName, () => this.answer(thingName, commandId, command));
    }
    for (const commandId of Object.keys(reported)) {
      if (commandId in desired || hub.cleaning.has(commandId)) continue;
      hub.cleaning.add(commandId);
      this.later(thingName, async () => {
        try {
          await this.report(thingName, { commands: { [commandId]: null } });
        } finally {
          hub.cleaning.delete(commandId);
        }
      });
    }
  }

  /** Forgets a deleted Thing's hub (a Thing created again with that name is a new device). */
  forget(thingName: string): void {
    this.hubs.delete(thingName);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private later(thingName: string, work: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.closed) return;
      work().catch((error: unknown) => {
        // The Thing may have been deleted meanwhile; the device's write is then simply lost, as on AWS.
        this.options.logger?.warn(
          { thingName, err: { name: (error as Error).name, message: (error as Error).message } },
          "simulated hub could not update its shadow",
        );
      });
    }, this.behaviour(thingName).delayMs);
    this.timers.add(timer);
  }

  private async report(thingName: string, reported: JsonObject): Promise<void> {
    await this.options.updateShadow(thingName, { state: { reported } });
  }

  private async answer(thingName: string, commandId: string, command: Json): Promise<void> {
    const hub = this.hubs.get(thingName);
    // Deleted meanwhile, or the mode changed to one that does not answer before the delay ran out.
    if (hub === undefined || hub.behaviour.mode === "silent" || hub.behaviour.mode === "offline") {
      hub?.answered.delete(commandId);
      return;
    }
    // Cleared from desired before the hub got to it (the backend gave up on it): nothing to answer.
    const desired = this.options.shadowState(thingName)?.desired?.commands;
    if (!isObject(desired) || !(commandId in desired)) return;
    const answer = this.execute(thingName, hub, command);
    this.options.logger?.info(
      {
        thingName,
        commandId,
        command: isObject(command) ? command.command : undefined,
        status: answer.status,
      },
      "simulated hub answered a command",
    );
    const { firmwareVersion } = this.behaviour(thingName);
    await this.report(thingName, {
      commands: { [commandId]: answer as unknown as JsonObject },
      firmwareVersion,
      uptimeSeconds: this.uptimeSeconds(thingName),
    });
  }

  private execute(thingName: string, hub: Hub, command: Json): Answer {
    const { mode, reason } = hub.behaviour;
    if (mode === "fail") return { status: "FAILED", reason: reason ?? DEFAULT_REASON.fail };
    if (mode === "reject") return { status: "REJECTED", reason: reason ?? DEFAULT_REASON.reject };
    if (!isObject(command) || typeof command.command !== "string") {
      return { status: "REJECTED", reason: "malformed command: expected {command, args?}" };
    }
    const args = isObject(command.args) ? command.args : {};
    switch (command.command) {
      case "get_nodes":
        return { status: "SUCCEEDED", result: { nodes: hub.nodes.map((node) => ({ ...node })) } };
      case "server_info":
        return {
          status: "SUCCEEDED",
          result: {
            firmwareVersion: this.behaviour(thingName).firmwareVersion,
            uptimeSeconds: this.uptimeSeconds(thingName),
          },
        };
      case "set_wifi_credentials":
        if (typeof args.ssid !== "string" || typeof args.credentials !== "string") {
          return {
            status: "REJECTED",
            reason: "set_wifi_credentials requires args.ssid and args.credentials",
          };
        }
        // Never echo the credentials: the reported state is readable by anyone who can read the shadow.
        return { status: "SUCCEEDED", result: { ssid: args.ssid } };
      case "commission_with_code": {
        if (typeof args.code !== "string") {
          return { status: "REJECTED", reason: "commission_with_code requires args.code" };
        }
        const nodeId = (hub.nodes.at(-1)?.nodeId ?? 0) + 1;
        hub.nodes.push({ nodeId, commissionedAt: Math.floor(Date.now() / 1000) });
        return { status: "SUCCEEDED", result: { nodeId } };
      }
      default:
        return { status: "REJECTED", reason: `unsupported command: ${command.command}` };
    }
  }

  /** Seconds since the device last connected, or since the emulator started if it is not connected. */
  private uptimeSeconds(thingName: string): number {
    const since = this.options.connectedSince(thingName) ?? this.startedAt;
    return Math.max(0, Math.floor((Date.now() - since) / 1000));
  }
}
