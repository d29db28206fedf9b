import { ConflictError, provisionHubBodySchema, toFieldIssues } from "@hub/shared";
import { describe, expect, it } from "vitest";
import { decide, type ProvisionHub } from "../src/hub/decide.ts";
import { evolve, type Hub, type HubEvent, initialState } from "../src/hub/hub.ts";

const hubId = "6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
const NOW = 1_764_000_000_000;

const given = (...events: HubEvent[]): Hub => events.reduce(evolve, initialState());
const provision = (data: Partial<ProvisionHub["data"]> = {}, now = NOW): ProvisionHub => ({
  type: "ProvisionHub",
  data: { hubId, serial: "SN-1", model: "HUB-2", thingName: "hub-thing-1", ...data },
  metadata: { now },
});
const provisioned = (data: Partial<ProvisionHub["data"]> = {}): HubEvent => ({
  type: "HubProvisioned",
  data: {
    hubId,
    serial: "SN-1",
    model: "HUB-2",
    thingName: "hub-thing-1",
    ...data,
    provisionedAt: NOW - 1000,
  },
});

describe("ProvisionHub decider", () => {
  it("given no events, when provisioning, then HubProvisioned with the command's time", () => {
    expect(decide(provision({ vendorName: "Acme" }), given())).toEqual([
      {
        type: "HubProvisioned",
        data: {
          hubId,
          serial: "SN-1",
          model: "HUB-2",
          thingName: "hub-thing-1",
          vendorName: "Acme",
          provisionedAt: NOW,
        },
      },
    ]);
  });

  it("omits vendorName from the event when it was not given", () => {
    const [event] = decide(provision(), given());
    expect(event?.data).not.toHaveProperty("vendorName");
  });

  it("given a provisioned hub, when the identical command repeats (later), then no event", () => {
    expect(decide(provision({}, NOW + 60_000), given(provisioned()))).toEqual([]);
  });

  it.each([
    ["serial", { serial: "SN-2" }],
    ["model", { model: "HUB-3" }],
    ["thingName", { thingName: "other-thing" }],
    ["vendorName", { vendorName: "Other" }],
  ] as const)("given a provisioned hub, when %s differs, then a conflict naming it", (field, change) => {
    let thrown: unknown;
    try {
      decide(provision(change), given(provisioned()));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConflictError);
    expect((thrown as ConflictError).field).toBe(field);
  });

  it("keeps room for the lifecycle: a suspended hub still rejects a conflicting provision", () => {
    const state = given(provisioned(), {
      type: "HubSuspended",
      data: { hubId, reason: "fraud", suspendedBy: "admin", suspendedAt: NOW },
    });
    expect(state.status).toBe("Suspended");
    expect(() => decide(provision({ serial: "X" }), state)).toThrow(ConflictError);
  });
});

describe("ProvisionHub input validation", () => {
  const valid = { hubId, serial: "SN-1", model: "HUB-2" };
  const fieldsOf = (body: unknown) => {
    const result = provisionHubBodySchema.safeParse(body);
    return result.success ? [] : toFieldIssues(result.error).map((issue) => issue.field);
  };

  it("accepts the minimal body and trims strings", () => {
    expect(provisionHubBodySchema.parse({ ...valid, serial: "  SN-1 " }).serial).toBe("SN-1");
  });
  it.each([
    ["hubId", { ...valid, hubId: "example_string" }],
    ["hubId", { serial: "a", model: "b" }],
    ["serial", { ...valid, serial: "   " }],
    ["serial", { ...valid, serial: "x".repeat(129) }],
    ["model", { ...valid, model: "" }],
    ["model", { ...valid, model: 7 }],
    ["thingName", { ...valid, thingName: "John Doe" }],
    ["thingName", { ...valid, thingName: "" }],
    ["vendorName", { ...valid, vendorName: "v".repeat(129) }],
    ["extra", { ...valid, extra: true }],
  ])("rejects a bad %s", (field, body) => {
    expect(fieldsOf(body)).toContain(field);
  });
});
