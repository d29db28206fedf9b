import { randomUUID } from "node:crypto";
import { appErrorFrom } from "@hub/hub-client";
import { type HubCommandView, hubCommandStates, hubStatuses, type RequestContext } from "@hub/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { OVERVIEW_DAYS, overviewStart } from "../src/queries/fleet-overview.ts";
import { useTestDatabase } from "./support/database.ts";
import { seedHubCommands, seedHubs } from "./support/hub-fixtures.ts";
import { useHubService } from "./support/system.ts";

const db = useTestDatabase();
// No background fan-out: the deliveries counted are exactly the ones written here.
const system = useHubService(db, { WEBHOOK_FAN_OUT: "false" });
const client = () => system.current.client;

const as = (principal: RequestContext["principal"]): RequestContext => ({
  principal,
  requestId: "req-overview",
  correlationId: "req-overview",
  source: "graphql",
});
const admin = as({ kind: "admin", id: "admin-1", permissions: [] });
const DAY = 86_400_000;

describe("fleet overview", () => {
  it("is all zeros, with every status, state and day present, on an empty database", async () => {
    const overview = await client().fleet.overview.query({ caller: admin });
    expect(overview.hubs).toMatchObject({ total: 0, online: 0, offline: 0 });
    expect(overview.hubs.byStatus).toEqual(Object.fromEntries(hubStatuses.map((s) => [s, 0])));
    expect(overview.commands.byState).toEqual(Object.fromEntries(hubCommandStates.map((s) => [s, 0])));
    expect(overview.hubs.provisionedPerDay).toHaveLength(OVERVIEW_DAYS);
    expect(overview.hubs.provisionedPerDay.every((bucket) => bucket.count === 0)).toBe(true);
    expect(overview.deliveries).toEqual({ delivered: 0, pending: 0, dead: 0, oldestPendingAt: null });
  });

  describe("with hubs, commands and deliveries", () => {
    const now = Date.now();
    const today = Math.floor(now / DAY) * DAY;
    let hubs: Awaited<ReturnType<typeof seedHubs>> = [];
    let commands: HubCommandView[] = [];
    const pendingCreatedAt = [new Date(now - 7_200_000), new Date(now - 60_000)];

    beforeAll(async () => {
      const prisma = db.current.prisma;
      // 55 hubs, moved to today (from its UTC midnight), 3 and 29 days ago (the window's first
      // day), and 30 and 400 days ago (outside it): 23, 11, 7, 5 and 9 of them.
      hubs = await seedHubs(prisma, 55, { startAt: today, label: "ov" });
      const batches: [number, number][] = [
        [23, 0],
        [11, 3 * DAY - 5_000],
        [7, 29 * DAY],
        [5, 30 * DAY - 1_000],
        [9, 400 * DAY],
      ];
      let start = 0;
      for (const [size, ago] of batches) {
        const ids = hubs.slice(start, start + size).map((hub) => hub.hubId);
        start += size;
        await prisma.$executeRaw`
          UPDATE hubs SET provisioned_at = provisioned_at - ${ago} * interval '1 millisecond'
          WHERE id = ANY(${ids}::uuid[])`;
      }
      commands = [
        ...(
          await seedHubCommands(
            prisma,
            hubs.slice(0, 6).map((hub) => hub.hubId),
            7,
          )
        ).values(),
      ].flat();

      const org = await client().organizations.create.mutate({
        caller: admin,
        name: `Overview ${randomUUID()}`,
      });
      const { subscription } = await client().webhooks.create.mutate({
        caller: admin,
        orgId: org.id,
        url: "https://hooks.example.com/overview",
      });
      const hubId = randomUUID();
      // What the fan-out and the relay leave: 2 pending (queued 2 hours and 1 minute ago), 3
      // delivered, 1 dead.
      await prisma.$executeRaw`
        INSERT INTO webhook_deliveries (subscription_id, hub_id, version, position, event_type, status, created_at)
        VALUES (${subscription.id}::uuid, ${hubId}::uuid, 1, 1, 'HubProvisioned', 'delivered', now()),
               (${subscription.id}::uuid, ${hubId}::uuid, 2, 2, 'HubClaimed', 'delivered', now()),
               (${subscription.id}::uuid, ${hubId}::uuid, 3, 3, 'HubRoleSet', 'dead', now()),
               (${subscription.id}::uuid, ${hubId}::uuid, 4, 4, 'HubSuspended', 'pending', ${pendingCreatedAt[0]}),
               (${subscription.id}::uuid, ${hubId}::uuid, 5, 5, 'HubResumed', 'pending', ${pendingCreatedAt[1]}),
               (${subscription.id}::uuid, ${hubId}::uuid, 6, 6, 'HubDecommissioned', 'delivered', now())`;
    });

    it("counts every hub by status and by presence", async () => {
      const overview = await client().fleet.overview.query({ caller: admin });
      const expected = Object.fromEntries(
        hubStatuses.map((status) => [status, hubs.filter((hub) => hub.status === status).length]),
      );
      // The fixtures cover every status, so a swapped count would show.
      expect(Object.values(expected).every((count) => count > 0)).toBe(true);
      expect(overview.hubs.byStatus).toEqual(expected);
      expect(overview.hubs.total).toBe(hubs.length);
      const online = hubs.filter((hub) => hub.online).length;
      expect(online).toBeGreaterThan(0);
      expect(overview.hubs.online).toBe(online);
      expect(overview.hubs.offline).toBe(hubs.length - online);
    });

    it("counts the hubs provisioned on each of the last 30 UTC days, zero-filled, oldest first", async () => {
      const overview = await client().fleet.overview.query({ caller: admin });
      const days = overview.hubs.provisionedPerDay;
      expect(days.map((bucket) => bucket.day)).toEqual(
        Array.from({ length: OVERVIEW_DAYS }, (_, i) => overviewStart(now) + i * DAY),
      );
      expect(days.at(-1)?.day).toBe(today);
      const counts = new Map(days.map((bucket) => [bucket.day, bucket.count]));
      expect(counts.get(today)).toBe(23);
      expect(counts.get(today - 3 * DAY)).toBe(11);
      expect(counts.get(today - 29 * DAY)).toBe(7);
      expect(days.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(23 + 11 + 7);
    });

    it("counts commands by state, every state present", async () => {
      const overview = await client().fleet.overview.query({ caller: admin });
      expect(overview.commands.byState).toEqual(
        Object.fromEntries(
          hubCommandStates.map((state) => [
            state,
            commands.filter((command) => command.state === state).length,
          ]),
        ),
      );
      expect(Object.values(overview.commands.byState).reduce((a, b) => a + b, 0)).toBe(6 * 7);
    });

    it("counts webhook deliveries and says when the oldest pending one was queued", async () => {
      const overview = await client().fleet.overview.query({ caller: admin });
      expect(overview.deliveries).toEqual({
        delivered: 3,
        pending: 2,
        dead: 1,
        oldestPendingAt: pendingCreatedAt[0]?.getTime(),
      });
    });
  });

  it("is refused to an organization's key", async () => {
    const error = await client()
      .fleet.overview.query({
        caller: as({
          kind: "organization",
          id: randomUUID(),
          orgId: randomUUID(),
          permissions: ["hubs:read"],
        }),
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(appErrorFrom(error)?.kind).toBe("FORBIDDEN");
  });
});
