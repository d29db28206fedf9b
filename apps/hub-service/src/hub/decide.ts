import { ConflictError } from "@hub/shared";
import type { Hub, HubProvisioned } from "./hub.ts";

// Commands: imperative, readonly. Time and actor arrive as data so `decide` stays pure.
export type ProvisionHub = {
  readonly type: "ProvisionHub";
  readonly data: {
    readonly hubId: string;
    readonly serial: string;
    readonly model: string;
    readonly thingName: string;
    readonly vendorName?: string;
  };
  readonly metadata: { readonly now: number };
};

export type HubCommand = ProvisionHub;

/** An empty array is a valid decision: the command is already satisfied (idempotent repeat). */
export type Decision = readonly HubProvisioned[];

export function provisionHub(command: ProvisionHub, state: Hub): Decision {
  const { hubId, serial, model, thingName, vendorName } = command.data;
  if (state.status === "Unprovisioned") {
    const data = {
      hubId,
      serial,
      model,
      thingName,
      ...(vendorName !== undefined ? { vendorName } : {}),
      provisionedAt: command.metadata.now,
    };
    return [{ type: "HubProvisioned", data }];
  }
  const existing = state.provisioning;
  const differing = (["serial", "model", "thingName", "vendorName"] as const).filter(
    (field) => existing[field] !== command.data[field],
  );
  if (differing.length === 0) return [];
  throw new ConflictError(
    `Hub ${hubId} is already provisioned with a different ${differing.join(", ")}`,
    differing[0],
  );
}

export function decide(command: HubCommand, state: Hub): Decision {
  switch (command.type) {
    case "ProvisionHub":
      return provisionHub(command, state);
    default: {
      const unknownCommand: never = command.type;
      throw new Error(`unknown command ${String(unknownCommand)}`);
    }
  }
}
