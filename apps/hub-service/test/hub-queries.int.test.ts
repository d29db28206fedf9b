import { randomUUID } from "node:crypto";
import { type AppRouter, appErrorFrom, TRPCClientError } from "@hub/hub-client";
import {
  type HubCommandState,
  type HubCommandView,
  type HubListFilter,
  type HubListOrder,
  type HubView,
  type PageArgs,
  type RequestContext,
  ValidationError,
} from "@hub/shared";
import { testEngine } from "@hub/test-support";
import { beforeAll, describe, expect, it } from "vitest";
import { HUB_COLUMNS, type HubRow, toHubView } from "../src/hub/read-model.ts";
import { useTestDatabase } from "./support/database.ts";
import {
  compareHubs,
  FIXTURE_ORGS,
  matchesFilter,
  seedHubCommands,
  seedHubs,
} from "./support/hub-fixtures.ts";
import { useHubService } from "./support/system.ts";

const statements: string[] = [];
const db = useTestDatabase({ onStatement: (sql) => statements.push(sql) });
// The webhook fan-out polls the log in the background: its statements would be counted with the
// reads under test (their statement counts are asserted), and none of these tests delivers webhooks.
const system = useHubService(db, { WEBHOOK_FAN_OUT: "false" });
const client = () => system.current.client;

const as = (principal: RequestContext["principal"]): RequestContext => ({
  principal,
  requestId: "req-queries",
  correlationId: "req-queries",
  source: "graphql",
});
const admin = as({ kind: "admin", id: "admin-1", permissions: [] });

const LABEL = "q";
let seeded: HubView[] = [];

beforeAll(async () => {
  seeded = await seedHubs(db.current.prisma, 400, { label: LABEL });
});

async function allHubs(): Promise<HubView[]> {
  return (await db.current.prisma.$queryRaw<HubRow[]>`SELECT ${HUB_COLUMNS} FROM hubs`).map(toHubView);
}

/**
 * Every page of a query, forwards (first/after) or backwards (last/before), in display order;
 * `betweenPages` runs after each page that has a next one.
 */
async function collect(
  query: { filter?: HubListFilter; orderBy?: HubListOrder },
  direction: "forward" | "backward",
  size = 37,
  betweenPages?: () => Promise<void>,
): Promise<HubView[]> {
  const seen: HubView[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const page: PageArgs =
      direction === "forward"
        ? { first: size, ...(cursor ? { after: cursor } : {}) }
        : { last: size, ...(cursor ? { before: cursor } : {}) };
    const connection = await client().hub.list.query({ caller: admin, ...query, page });
    const nodes = connection.edges.map((edge) => edge.node);
    expect(nodes.length).toBeLessThanOrEqual(size);
    if (direction === "forward") {
      seen.push(...nodes);
      if (!connection.pageInfo.hasNextPage) return seen;
      cursor = connection.pageInfo.endCursor;
    } else {
      seen.unshift(...nodes);
      if (!connection.pageInfo.hasPreviousPage) return seen;
      cursor = connection.pageInfo.startCursor;
    }
    await betweenPages?.();
  }
  throw new Error("pagination did not end");
}

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return { trpc: error as TRPCClientError<AppRouter>, app: appErrorFrom(error) };
}

const orders: HubListOrder[] = [
  { field: "PROVISIONED_AT", direction: "ASC" },
  { field: "PROVISIONED_AT", direction: "DESC" },
  { field: "SERIAL", direction: "ASC" },
  { field: "SERIAL", direction: "DESC" },
];

describe(`hub.list (${testEngine()})`, () => {
  it.each(
    orders.flatMap((orderBy) =>
      (["forward", "backward"] as const).map((direction) => ({ orderBy, direction })),
    ),
  )(
    "visits every hub exactly once by $orderBy.field $orderBy.direction, $direction, while hubs are being provisioned",
    async ({ orderBy, direction }) => {
      const before = await allHubs();
      const provisioned: string[] = [];
      // Between every two pages a new hub is provisioned (sorting anywhere: new ids, the current
      // time, "NEW-" serials), so the pager really runs while the list changes under it.
      const seen = await collect({ orderBy }, direction, 37, async () => {
        const hubId = randomUUID();
        await system.current.createThing(`thing-${hubId}`);
        await client().hub.provision.mutate({
          command: { hubId, serial: `NEW-${hubId}`, model: "HUB-9", thingName: `thing-${hubId}` },
        });
        provisioned.push(hubId);
      });
      const ids = seen.map((hub) => hub.hubId);
      expect(new Set(ids).size).toBe(ids.length);
      const seenIds = new Set(ids);
      expect(before.filter((hub) => !seenIds.has(hub.hubId))).toEqual([]);
      expect(
        ids.filter((id) => !before.some((hub) => hub.hubId === id)).every((id) => provisioned.includes(id)),
      ).toBe(true);
      expect(seen).toEqual([...seen].sort(compareHubs(orderBy.field, orderBy.direction)));
      // Every page boundary of the ≥ 400 hubs (37 a page) saw a provisioning.
      expect(provisioned.length).toBeGreaterThanOrEqual(Math.floor(before.length / 37));
    },
  );

  const from = Date.UTC(2025, 0, 1) + 20_000;
  const filters: HubListFilter[] = [
    { status: "Suspended" },
    { status: "Decommissioned" },
    { model: "HUB-2" },
    { vendorName: "Globex" },
    { serialPrefix: `AB${LABEL}` },
    // `_` is a LIKE wildcard: it must match literally ("BZ…" serials exist too).
    { serialPrefix: "B_" },
    { provisionedAt: { from, to: from + 30_000 } },
    { provisionedAt: { to: from } },
    // Acme makes HUB-2 (hub-fixtures.ts): a pair that selects something.
    { status: "Provisioned", model: "HUB-2", vendorName: "Acme", serialPrefix: "A", provisionedAt: { from } },
    { vendorName: "Acme", model: "HUB-2" },
    { status: "Suspended", serialPrefix: "AB" },
    { orgId: FIXTURE_ORGS[2] },
    { orgId: FIXTURE_ORGS[0], siteId: "site-3" },
    { isPrimary: true },
    { online: true },
    { online: false, status: "Provisioned" },
  ];

  it.each(filters.flatMap((filter) => orders.map((orderBy) => ({ filter, orderBy }))))(
    "returns exactly the hubs that match $filter in $orderBy.field $orderBy.direction order, both ways",
    async ({ filter, orderBy }) => {
      const all = await allHubs();
      const expected = all
        .filter((hub) => matchesFilter(hub, filter))
        .sort(compareHubs(orderBy.field, orderBy.direction));
      // Not vacuous: the filter selects some hubs and leaves others out.
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(all.length);
      const forward = await collect({ filter, orderBy }, "forward", 50);
      expect(forward.map((hub) => hub.hubId)).toEqual(expected.map((hub) => hub.hubId));
      const backward = await collect({ filter, orderBy }, "backward", 50);
      expect(backward.map((hub) => hub.hubId)).toEqual(expected.map((hub) => hub.hubId));
    },
  );

  it.each([
    { filter: { model: "no-such-model" } as HubListFilter },
    { filter: { vendorName: "Acme", model: "HUB-1" } as HubListFilter },
  ])("returns an empty connection for $filter, which no hub matches", async ({ filter }) => {
    expect((await allHubs()).filter((hub) => matchesFilter(hub, filter))).toEqual([]);
    for (const direction of ["forward", "backward"] as const) {
      expect(await collect({ filter }, direction, 50)).toEqual([]);
    }
  });

  it("finds seeded hubs of every status, model and vendor", () => {
    expect(new Set(seeded.map((hub) => hub.status))).toEqual(
      new Set(["Provisioned", "Claimed", "Suspended", "Decommissioned"]),
    );
    expect(seeded.filter((hub) => hub.serial.startsWith("B_")).length).toBeGreaterThan(50);
    expect(seeded.filter((hub) => hub.provisionedAt === seeded[0]?.provisionedAt)).toHaveLength(3);
  });

  it("pages with the default order (newest first) and page size (50)", async () => {
    const page = await client().hub.list.query({ caller: admin });
    expect(page.edges).toHaveLength(50);
    const expected = (await allHubs()).sort(compareHubs("PROVISIONED_AT", "DESC")).slice(0, 50);
    expect(page.edges.map((edge) => edge.node.hubId)).toEqual(expected.map((hub) => hub.hubId));
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  });
});

describe("cursors", () => {
  const firstPage = (filter: HubListFilter, orderBy?: HubListOrder) =>
    client().hub.list.query({ caller: admin, filter, ...(orderBy ? { orderBy } : {}), page: { first: 5 } });

  it("are opaque base64url JSON carrying the sort key and a fingerprint", async () => {
    const page = await firstPage({ status: "Suspended" });
    const cursor = page.pageInfo.endCursor ?? "";
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const payload = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    const last = page.edges.at(-1)?.node;
    expect(payload).toEqual({ f: expect.any(String), k: [last?.provisionedAt, last?.hubId] });
  });

  it.each([
    ["another filter", { status: "Provisioned" } as HubListFilter, undefined],
    ["no filter", {} as HubListFilter, undefined],
    [
      "another order",
      { status: "Suspended" } as HubListFilter,
      { field: "SERIAL", direction: "DESC" } as const,
    ],
    [
      "the same field in the other direction",
      { status: "Suspended" } as HubListFilter,
      { field: "PROVISIONED_AT", direction: "ASC" } as const,
    ],
  ])("issued for one filter and order are refused with %s (VALIDATION)", async (_label, filter, orderBy) => {
    const page = await firstPage({ status: "Suspended" });
    for (const pageArgs of [
      { first: 5, after: page.pageInfo.endCursor ?? "" },
      { last: 5, before: page.pageInfo.startCursor ?? "" },
    ]) {
      const { trpc, app } = await failure(
        client().hub.list.query({ caller: admin, filter, ...(orderBy ? { orderBy } : {}), page: pageArgs }),
      );
      expect(trpc.data?.code).toBe("BAD_REQUEST");
      expect(app).toBeInstanceOf(ValidationError);
      expect(app?.message).toMatch(/cursor was issued for a different filter or order/);
      expect((app as ValidationError).details[0]?.field).toBe("after" in pageArgs ? "after" : "before");
    }
  });

  it("are accepted for the same filter written in another key order", async () => {
    const page = await firstPage({ status: "Provisioned", model: "HUB-1" });
    const next = await client().hub.list.query({
      caller: admin,
      filter: { model: "HUB-1", status: "Provisioned" },
      page: { first: 5, after: page.pageInfo.endCursor ?? "" },
    });
    expect(next.edges).toHaveLength(5);
  });

  it("that are malformed or tampered with are refused (VALIDATION)", async () => {
    const page = await firstPage({});
    const payload = JSON.parse(Buffer.from(page.pageInfo.endCursor ?? "", "base64url").toString("utf8"));
    const tampered = Buffer.from(JSON.stringify({ f: payload.f, k: ["yesterday", "x"] })).toString(
      "base64url",
    );
    for (const after of ["not-a-cursor", "%%%", tampered]) {
      const { app } = await failure(client().hub.list.query({ caller: admin, page: { first: 5, after } }));
      expect(app).toBeInstanceOf(ValidationError);
      expect(app?.message).toMatch(/cursor is malformed/);
    }
  });

  it("of one connection are refused by another", async () => {
    const events = await client().hub.events.query({
      caller: admin,
      hubId: seeded[3]?.hubId ?? "",
      page: { first: 1 },
    });
    const { app } = await failure(
      client().events.feed.query({
        caller: admin,
        page: { first: 1, after: events.pageInfo.endCursor ?? "" },
      }),
    );
    expect(app?.message).toMatch(/different filter or order/);
  });

  it("refuses page arguments that mix directions or exceed the page size", async () => {
    for (const page of [{ first: 5, last: 5 }, { first: 101 }, { last: 0 }]) {
      const { app } = await failure(client().hub.list.query({ caller: admin, page }));
      expect(app).toBeInstanceOf(ValidationError);
    }
  });
});

describe("hub events, last events and the feed", () => {
  it("gives one hub's history oldest first, by pages, by type and from a version", async () => {
    const hub = seeded.find((h) => h.status === "Suspended");
    if (!hub) throw new Error("fixture has no suspended hub");
    const all = await client().hub.events.query({ caller: admin, hubId: hub.hubId });
    expect(all.edges.map(({ node }) => [node.type, node.version])).toEqual([
      ["HubProvisioned", 1],
      ["HubSuspended", 2],
    ]);
    expect(all.edges[0]?.node).toMatchObject({
      streamId: hub.hubId,
      data: { hubId: hub.hubId, serial: hub.serial, provisionedAt: hub.provisionedAt },
      metadata: { actor: { kind: "service", id: "fixture" }, source: "trpc", requestId: "seed" },
      recordedAt: hub.provisionedAt,
    });
    const first = await client().hub.events.query({ caller: admin, hubId: hub.hubId, page: { first: 1 } });
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await client().hub.events.query({
      caller: admin,
      hubId: hub.hubId,
      page: { first: 1, after: first.pageInfo.endCursor ?? "" },
    });
    expect(second.edges.map(({ node }) => node.version)).toEqual([2]);
    expect(second.pageInfo.hasNextPage).toBe(false);
    const typed = await client().hub.events.query({
      caller: admin,
      hubId: hub.hubId,
      types: ["HubSuspended"],
    });
    expect(typed.edges.map(({ node }) => node.type)).toEqual(["HubSuspended"]);
    const from2 = await client().hub.events.query({ caller: admin, hubId: hub.hubId, fromVersion: 2 });
    expect(from2.edges.map(({ node }) => node.version)).toEqual([2]);
    const { app } = await failure(
      client().hub.events.query({
        caller: admin,
        hubId: hub.hubId,
        fromVersion: 2,
        page: { after: first.pageInfo.endCursor ?? "" },
      }),
    );
    expect(app?.message).toMatch(/different filter or order/);
  });

  it("gives the last event of each hub of a page in one SQL statement", async () => {
    const before = statements.length;
    const page = await client().hub.list.query({
      caller: admin,
      orderBy: { field: "SERIAL", direction: "ASC" },
      page: { first: 50 },
    });
    expect(statements.length - before).toBe(1);
    const hubIds = page.edges.map(({ node }) => node.hubId);
    const afterList = statements.length;
    const last = await client().hub.lastEvents.query({ caller: admin, hubIds: [...hubIds, randomUUID()] });
    expect(statements.length - afterList).toBe(1);
    expect(statements.at(-1)).toMatch(/CROSS JOIN LATERAL/);
    const byHub = new Map(last.map((event) => [event.streamId, event]));
    expect(byHub.size).toBe(50);
    for (const { node } of page.edges) {
      expect(byHub.get(node.hubId)).toMatchObject({
        version: node.version,
        // A primary hub's last event is its HubRoleSet (hub-fixtures.ts).
        type:
          node.status === "Provisioned"
            ? "HubProvisioned"
            : node.isPrimary
              ? "HubRoleSet"
              : `Hub${node.status}`,
      });
    }
  });

  it("pages the global feed newest first and oldest first, every event once", async () => {
    const total = await db.current.prisma.hubEvent.count();
    const newest = await client().events.feed.query({ caller: admin, page: { first: 10 } });
    const positions = newest.edges.map(({ node }) => BigInt(node.position));
    expect(positions).toEqual([...positions].sort((a, b) => (a > b ? -1 : 1)));
    const max = await db.current.prisma.hubEvent.aggregate({ _max: { position: true } });
    expect(positions[0]).toBe(max._max.position);

    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await client().events.feed.query({
        caller: admin,
        order: "OLDEST_FIRST",
        page: { first: 100, ...(after ? { after } : {}) },
      });
      seen.push(...page.edges.map(({ node }) => node.position));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor ?? undefined;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(total);
  });
});

describe("who may read", () => {
  const user = as({ kind: "user", id: "u-1", permissions: ["hubs:read"] });
  const reader = as({ kind: "organization", id: "org-1", orgId: "org-1", permissions: ["hubs:read"] });
  const provisioner = as({
    kind: "organization",
    id: "org-2",
    orgId: "org-2",
    permissions: ["hubs:provision"],
  });
  const service = as({ kind: "service", id: "svc-1", permissions: [] });

  it.each([
    ["a user", user],
    ["an organization with hubs:read", reader],
  ])("refuses the reads across hubs to %s forwarded by a service (FORBIDDEN)", async (_label, caller) => {
    const hubId = seeded[0]?.hubId ?? "";
    for (const call of [
      client().hub.list.query({ caller }),
      client().hub.lastEvents.query({ caller, hubIds: [hubId] }),
      client().events.feed.query({ caller }),
      client().hub.bySerial.query({ caller, serial: seeded[0]?.serial ?? "" }),
    ]) {
      const { trpc } = await failure(call);
      expect(trpc.data?.code).toBe("FORBIDDEN");
    }
  });

  it("lets admins and services read any hub; an organization only its own (another's is NOT_FOUND); users none", async () => {
    const hub = seeded[0];
    const hubId = hub?.hubId ?? "";
    for (const caller of [admin, service, undefined]) {
      expect(await client().hub.byId.query({ ...(caller ? { caller } : {}), hubId })).toEqual(hub);
      expect(
        (await client().hub.events.query({ ...(caller ? { caller } : {}), hubId })).edges.length,
      ).toBeGreaterThan(0);
    }
    // The seeded hubs were provisioned by a service: no organization owns them.
    for (const call of [
      client().hub.byId.query({ caller: reader, hubId }),
      client().hub.events.query({ caller: reader, hubId }),
    ]) {
      expect((await failure(call)).trpc.data?.code).toBe("NOT_FOUND");
    }
    for (const caller of [user, provisioner]) {
      const { trpc } = await failure(client().hub.byId.query({ caller, hubId }));
      expect(trpc.data?.code).toBe("FORBIDDEN");
    }
    expect(await client().hub.byId.query({ caller: reader, hubId: randomUUID() })).toBeNull();
  });
});

describe("hub commands", () => {
  // A hub claimed into FIXTURE_ORGS[0], one claimed into another organization, one unclaimed.
  const ownHub = () => seeded.find((hub) => hub.orgId === FIXTURE_ORGS[0]) as HubView;
  const otherHub = () => seeded.find((hub) => hub.orgId === FIXTURE_ORGS[1]) as HubView;
  const owner = as({
    kind: "organization",
    id: "key-own",
    orgId: FIXTURE_ORGS[0],
    permissions: ["hubs:read"],
  });
  let commands = new Map<string, HubCommandView[]>();

  beforeAll(async () => {
    commands = await seedHubCommands(db.current.prisma, [ownHub().hubId, otherHub().hubId], 23, {
      orgId: FIXTURE_ORGS[0],
    });
  });

  async function collectCommands(hubId: string, state: HubCommandState | undefined, size: number) {
    const seen: HubCommandView[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await client().hub.commands.query({
        caller: admin,
        hubId,
        ...(state ? { state } : {}),
        page: { first: size, ...(after ? { after } : {}) },
      });
      seen.push(...page.edges.map((edge) => edge.node));
      if (!page.pageInfo.hasNextPage) return seen;
      after = page.pageInfo.endCursor ?? undefined;
    }
    throw new Error("pagination did not end");
  }

  it("pages one hub's commands newest first (ties by id), every command once, and back again", async () => {
    const hubId = ownHub().hubId;
    const expected = commands.get(hubId) ?? [];
    expect(await collectCommands(hubId, undefined, 5)).toEqual(expected);
    // Backwards from the end: the same list.
    const backward: HubCommandView[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await client().hub.commands.query({
        caller: admin,
        hubId,
        page: { last: 4, ...(before ? { before } : {}) },
      });
      backward.unshift(...page.edges.map((edge) => edge.node));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor ?? undefined;
    }
    expect(backward).toEqual(expected);
    // The other hub's commands are not in this hub's list.
    expect(expected.every((command) => command.hubId === hubId)).toBe(true);
  });

  it.each(["SENT", "SUCCEEDED", "FAILED", "REJECTED", "TIMED_OUT"] as const)(
    "filters by state %s",
    async (state) => {
      const hubId = ownHub().hubId;
      const expected = (commands.get(hubId) ?? []).filter((command) => command.state === state);
      expect(expected.length).toBeGreaterThan(0);
      expect(await collectCommands(hubId, state, 2)).toEqual(expected);
    },
  );

  it("refuses a cursor of another hub's or another state's list", async () => {
    const page = await client().hub.commands.query({
      caller: admin,
      hubId: ownHub().hubId,
      page: { first: 2 },
    });
    const after = page.pageInfo.endCursor ?? "";
    for (const call of [
      client().hub.commands.query({ caller: admin, hubId: otherHub().hubId, page: { first: 2, after } }),
      client().hub.commands.query({ caller: admin, hubId: ownHub().hubId, state: "SENT", page: { after } }),
    ]) {
      expect((await failure(call)).app).toBeInstanceOf(ValidationError);
    }
  });

  it("gives a hub without commands an empty page", async () => {
    const page = await client().hub.commands.query({ caller: admin, hubId: seeded[0]?.hubId ?? "" });
    expect(page.edges).toEqual([]);
  });

  it("reads one command by id, with or without its hub; null when absent or of another hub", async () => {
    const command = commands.get(ownHub().hubId)?.[3] as HubCommandView;
    expect(command.sentBy).toBeDefined();
    expect(await client().hub.command.query({ caller: admin, commandId: command.commandId })).toEqual(
      command,
    );
    expect(
      await client().hub.command.query({ caller: admin, commandId: command.commandId, hubId: command.hubId }),
    ).toEqual(command);
    expect(
      await client().hub.command.query({
        caller: admin,
        commandId: command.commandId,
        hubId: otherHub().hubId,
      }),
    ).toBeNull();
    expect(await client().hub.command.query({ caller: admin, commandId: "no-such-command" })).toBeNull();
    const { trpc } = await failure(client().hub.command.query({ caller: admin, commandId: "not valid!" }));
    expect(trpc.data?.code).toBe("BAD_REQUEST");
  });

  it("lets an organization read its own hubs' commands only (another's is NOT_FOUND); users none", async () => {
    const own = commands.get(ownHub().hubId)?.[0] as HubCommandView;
    const others = commands.get(otherHub().hubId)?.[0] as HubCommandView;
    expect(
      (await client().hub.commands.query({ caller: owner, hubId: ownHub().hubId })).edges.length,
    ).toBeGreaterThan(0);
    expect(await client().hub.command.query({ caller: owner, commandId: own.commandId })).toEqual(own);
    expect(
      await client().hub.command.query({ caller: owner, commandId: own.commandId, hubId: own.hubId }),
    ).toEqual(own);
    for (const call of [
      client().hub.commands.query({ caller: owner, hubId: otherHub().hubId }),
      client().hub.command.query({ caller: owner, commandId: others.commandId }),
      client().hub.command.query({ caller: owner, commandId: others.commandId, hubId: others.hubId }),
    ]) {
      expect((await failure(call)).trpc.data?.code).toBe("NOT_FOUND");
    }
    const user = as({ kind: "user", id: "u-1", permissions: ["hubs:read"] });
    const withoutRead = as({ kind: "organization", id: "k", orgId: FIXTURE_ORGS[0], permissions: [] });
    for (const caller of [user, withoutRead]) {
      for (const call of [
        client().hub.commands.query({ caller, hubId: ownHub().hubId }),
        client().hub.command.query({ caller, commandId: own.commandId }),
      ]) {
        expect((await failure(call)).trpc.data?.code).toBe("FORBIDDEN");
      }
    }
  });
});
