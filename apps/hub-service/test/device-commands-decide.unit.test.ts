import { ConflictError, NotFoundError, redactArgs } from "@hub/shared";
import { describe, expect, it } from "vitest";
import { decide, type HubCommand, type SentCommandData } from "../src/hub/decide.ts";
import { evolve, type Hub, type HubEvent, initialState } from "../src/hub/hub.ts";

const hubId = "6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
const NOW = 1_764_000_000_000;
const given = (...events: HubEvent[]): Hub => events.reduce(evolve, initialState());
const provisioned: HubEvent = {
  type: "HubProvisioned",
  data: { hubId, serial: "SN-1", model: "HUB-2", thingName: "hub-thing-1", provisionedAt: NOW - 1000 },
};
const sentData = (over: Partial<SentCommandData> = {}): SentCommandData => ({
  hubId,
  commandId: "cmd-1",
  command: "server_info",
  payloadDigest: "digest-a",
  timeoutMs: 30_000,
  ...over,
});
const send = (over: Partial<SentCommandData> = {}): HubCommand => ({
  type: "SendHubCommand",
  data: sentData(over),
  metadata: { now: NOW },
});
const only = (events: readonly HubEvent[]): HubEvent => {
  expect(events).toHaveLength(1);
  return events[0] as HubEvent;
};
const after = (state: Hub, command: HubCommand): Hub => decide(command, state).reduce(evolve, state);

describe("SendHubCommand / CommissionDevice deciders", () => {
  it("records the command as sent with its deadline, without secret values", () => {
    const redacted = redactArgs("set_wifi_credentials", { ssid: "lobby", credentials: "hunter22" });
    expect(redacted).toEqual({ args: { ssid: "lobby" }, secretArgs: ["credentials"] });
    const args = { ssid: "lobby" };
    const secretArgs = ["credentials"];
    const event = only(
      decide(send({ command: "set_wifi_credentials", args, secretArgs }), given(provisioned)),
    );
    expect(event).toEqual({
      type: "HubCommandSent",
      data: {
        hubId,
        commandId: "cmd-1",
        command: "set_wifi_credentials",
        args: { ssid: "lobby" },
        secretArgs: ["credentials"],
        payloadDigest: "digest-a",
        sentAt: NOW,
        timeoutAt: NOW + 30_000,
      },
    });
    expect(JSON.stringify(event)).not.toContain("hunter22");
  });

  it("answers a retry with the same id and payload with no event, even once the hub is suspended", () => {
    let state = after(given(provisioned), send());
    state = evolve(state, {
      type: "HubSuspended",
      data: { hubId, reason: "lost", suspendedBy: "u", suspendedAt: NOW },
    });
    expect(decide(send(), state)).toEqual([]);
  });

  it("refuses the same id with another payload: 409 COMMAND_ID_REUSED", () => {
    const state = after(given(provisioned), send());
    expect(() => decide(send({ payloadDigest: "digest-b" }), state)).toThrow(
      expect.objectContaining({ reason: "COMMAND_ID_REUSED" }),
    );
  });

  it("refuses a suspended or decommissioned hub with its reason, and an unknown hub as not found", () => {
    const suspended = given(provisioned, {
      type: "HubSuspended",
      data: { hubId, reason: "lost", suspendedBy: "u", suspendedAt: NOW },
    });
    expect(() => decide(send(), suspended)).toThrow(expect.objectContaining({ reason: "SUSPENDED" }));
    const decommissioned = given(provisioned, {
      type: "HubDecommissioned",
      data: { hubId, reason: "eol", decommissionedBy: "u", decommissionedAt: NOW },
    });
    expect(() => decide(send(), decommissioned)).toThrow(ConflictError);
    expect(() => decide(send(), given())).toThrow(NotFoundError);
  });
});

describe("command transitions", () => {
  const sent = after(given(provisioned), send());
  const complete = (outcome: "SUCCEEDED" | "FAILED" | "REJECTED", extra = {}): HubCommand => ({
    type: "CompleteHubCommand",
    data: { hubId, commandId: "cmd-1", outcome, ...extra },
    metadata: { now: NOW + 50 },
  });

  it("moves SENT to each terminal state once; later reports and time-outs change nothing", () => {
    const succeeded = only(decide(complete("SUCCEEDED", { result: { firmwareVersion: "1.2.3" } }), sent));
    expect(succeeded).toEqual({
      type: "HubCommandSucceeded",
      data: {
        hubId,
        commandId: "cmd-1",
        command: "server_info",
        result: { firmwareVersion: "1.2.3" },
        completedAt: NOW + 50,
      },
    });
    const done = evolve(sent, succeeded);
    expect(decide(complete("SUCCEEDED"), done)).toEqual([]);
    expect(decide(complete("FAILED", { reason: "late" }), done)).toEqual([]);
    expect(
      decide(
        { type: "TimeOutHubCommand", data: { hubId, commandId: "cmd-1" }, metadata: { now: NOW } },
        done,
      ),
    ).toEqual([]);
    expect(only(decide(complete("FAILED", { reason: "no network" }), sent)).type).toBe("HubCommandFailed");
    expect(only(decide(complete("REJECTED", { reason: "unknown" }), sent)).type).toBe("HubCommandRejected");
    const timedOut = only(
      decide(
        { type: "TimeOutHubCommand", data: { hubId, commandId: "cmd-1" }, metadata: { now: NOW + 9 } },
        sent,
      ),
    );
    expect(timedOut).toEqual({
      type: "HubCommandTimedOut",
      data: { hubId, commandId: "cmd-1", command: "server_info", timedOutAt: NOW + 9 },
    });
    // A hub may still report after a cloud-side time-out: the command stays TIMED_OUT.
    expect(decide(complete("SUCCEEDED"), evolve(sent, timedOut))).toEqual([]);
  });

  it("ignores a report of a command it never recorded", () => {
    expect(decide(complete("SUCCEEDED"), given(provisioned))).toEqual([]);
  });

  it("adopts a command found in the shadow once, whatever the hub's state", () => {
    const adopt: HubCommand = {
      type: "AdoptHubCommand",
      data: { ...sentData(), sentAt: NOW - 5 },
      metadata: { now: NOW },
    };
    const suspended = given(provisioned, {
      type: "HubSuspended",
      data: { hubId, reason: "lost", suspendedBy: "u", suspendedAt: NOW },
    });
    const event = only(decide(adopt, suspended));
    expect(event).toMatchObject({
      type: "HubCommandSent",
      data: { sentAt: NOW - 5, timeoutAt: NOW - 5 + 30_000 },
    });
    expect(decide(adopt, evolve(suspended, event))).toEqual([]);
  });
});

describe("presence", () => {
  const presence = (connected: boolean, versionNumber: number): HubCommand => ({
    type: "RecordPresence",
    data: {
      hubId,
      connected,
      versionNumber,
      at: NOW + versionNumber,
      disconnectReason: "MQTT_KEEP_ALIVE_TIMEOUT",
    },
    metadata: { now: NOW },
  });
  const apply = (state: Hub, commands: HubCommand[]) => {
    const events: HubEvent[] = [];
    let current = state;
    for (const command of commands) {
      for (const event of decide(command, current)) {
        events.push(event);
        current = evolve(current, event);
      }
    }
    return events;
  };

  it("one event per change: flapping in order gives each change, duplicates none", () => {
    const events = apply(given(provisioned), [
      presence(true, 1),
      presence(true, 1),
      presence(false, 2),
      presence(false, 2),
      presence(true, 3),
    ]);
    expect(events.map((e) => e.type)).toEqual(["HubConnected", "HubDisconnected", "HubConnected"]);
    expect(events[1]).toEqual({
      type: "HubDisconnected",
      data: { hubId, disconnectedAt: NOW + 2, versionNumber: 2, disconnectReason: "MQTT_KEEP_ALIVE_TIMEOUT" },
    });
  });

  it("an older event arriving late changes nothing", () => {
    const events = apply(given(provisioned), [presence(false, 4), presence(true, 3), presence(true, 5)]);
    expect(events.map((e) => [e.type, (e.data as { versionNumber: number }).versionNumber])).toEqual([
      ["HubDisconnected", 4],
      ["HubConnected", 5],
    ]);
  });
});
