import { describe, expect, it } from "vitest";
import { useSystem } from "./support/system.ts";

const e2e = useSystem();
const admin = () => e2e.current.token({ role: "admin" }, { subject: "admin-1" });
const service = () => e2e.current.token({ role: "service" }, { subject: "line-7" });
const user = () => e2e.current.token({}, { subject: "user-1" });

const OVERVIEW_QUERY = `{
  fleetOverview {
    hubs { total online offline byStatus { status count } provisionedPerDay { date start count } }
    commandsByState { state count }
    deliveries { delivered pending dead oldestPendingAt }
  }
}`;

type Overview = {
  hubs: {
    total: number;
    online: number;
    offline: number;
    byStatus: { status: string; count: number }[];
    provisionedPerDay: { date: string; start: number; count: number }[];
  };
  commandsByState: { state: string; count: number }[];
  deliveries: { delivered: number; pending: number; dead: number; oldestPendingAt: number | null };
};

async function graphql(query: string, headers: Record<string, string>) {
  const response = await fetch(`${e2e.current.gatewayUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: any[] } };
}

async function overview(): Promise<Overview> {
  const { status, body } = await graphql(OVERVIEW_QUERY, { authorization: `Bearer ${admin()}` });
  expect(body.errors).toBeUndefined();
  expect(status).toBe(200);
  return body.data.fleetOverview as Overview;
}

const countOf = (rows: { count: number }[], pick: (row: any) => boolean) => rows.find(pick)?.count;

describe("fleetOverview", () => {
  it("gives an admin the fleet's counts, and follows provisioning", async () => {
    const before = await overview();
    expect(before.hubs.byStatus.map((row) => row.status)).toEqual([
      "Provisioned",
      "Claimed",
      "Suspended",
      "Decommissioned",
    ]);
    expect(before.commandsByState.map((row) => row.state)).toEqual([
      "SENT",
      "SUCCEEDED",
      "FAILED",
      "REJECTED",
      "TIMED_OUT",
    ]);
    const days = before.hubs.provisionedPerDay;
    expect(days).toHaveLength(30);
    // UTC calendar days, oldest first, the last one today's.
    const today = new Date().toISOString().slice(0, 10);
    expect(days.at(-1)?.date).toBe(today);
    for (const [i, day] of days.entries()) {
      expect(new Date(day.start).toISOString()).toBe(`${day.date}T00:00:00.000Z`);
      if (i > 0) expect(day.start - (days[i - 1]?.start ?? 0)).toBe(86_400_000);
    }

    for (let i = 0; i < 3; i++) {
      const hub = await e2e.current.newHub();
      const response = await fetch(`${e2e.current.gatewayUrl}/hubs/${hub.hubId}/ProvisionHub`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${service()}` },
        body: JSON.stringify(hub),
      });
      expect(response.status).toBe(201);
    }

    const after = await overview();
    expect(after.hubs.total).toBe(before.hubs.total + 3);
    expect(after.hubs.offline).toBe(before.hubs.offline + 3);
    expect(after.hubs.online).toBe(before.hubs.online);
    expect(countOf(after.hubs.byStatus, (row) => row.status === "Provisioned")).toBe(
      (countOf(before.hubs.byStatus, (row) => row.status === "Provisioned") ?? 0) + 3,
    );
    expect(after.hubs.provisionedPerDay.at(-1)?.count).toBe((days.at(-1)?.count ?? 0) + 3);
    expect(after.hubs.byStatus.reduce((sum, row) => sum + row.count, 0)).toBe(after.hubs.total);
    expect(after.deliveries).toEqual(
      expect.objectContaining({
        delivered: expect.any(Number),
        pending: expect.any(Number),
        dead: expect.any(Number),
      }),
    );
  });

  it.each([
    ["a service token", () => ({ authorization: `Bearer ${service()}` })],
    ["a user token", () => ({ authorization: `Bearer ${user()}` })],
    ["an organization key", () => ({ "x-api-key": e2e.current.apiKey })],
  ])("is refused to %s (FORBIDDEN, no data)", async (_label, headers) => {
    const { status, body } = await graphql(OVERVIEW_QUERY, headers());
    expect(status).toBe(403);
    expect(body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(body.data?.fleetOverview ?? null).toBeNull();
  });

  it("is refused without credentials (UNAUTHENTICATED)", async () => {
    const { status, body } = await graphql(OVERVIEW_QUERY, {});
    expect(status).toBe(401);
    expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});
