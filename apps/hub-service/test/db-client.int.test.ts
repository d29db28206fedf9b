import { randomUUID } from "node:crypto";
import { cloneTemplate, hasPostgres, NEEDS_POSTGRES, type TestDatabase, testEngine } from "@hub/test-support";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, type Database } from "../src/db/client.ts";

// Prepared statements are a PostgreSQL-driver feature (adapter-pg); PGlite runs in-process.
describe.runIf(hasPostgres())(`database client on PostgreSQL (${NEEDS_POSTGRES})`, () => {
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    testDb = await cloneTemplate(inject("dbTemplate"));
    // One connection, so the catalog query below sees the session that ran the statements.
    db = await createDatabase({ url: testDb.url, poolSize: 1 });
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  it("prepares each distinct statement once per connection and reuses it by name", async () => {
    const ids = ["1", "2", "3"].map((n) => `00000000-0000-4000-8000-00000000000${n}`);
    for (const id of ids) await db.prisma.hub.findUnique({ where: { id } });
    await db.prisma.hubEvent.findMany({ where: { streamId: ids[0] ?? "" }, take: 1 });

    const prepared = await db.prisma.$queryRawUnsafe<{ name: string; statement: string }[]>(
      "SELECT name, statement FROM pg_prepared_statements ORDER BY name",
    );
    const ours = prepared.filter(({ name }) => name.startsWith("hub_"));
    // findUnique three times with different ids: one statement; findMany: another; and the raw
    // catalog query itself.
    expect(ours).toHaveLength(3);
    expect(new Set(ours.map(({ statement }) => statement)).size).toBe(3);
    expect(ours.some(({ statement }) => /FROM "public"\."hubs"/.test(statement))).toBe(true);
  });
});

describe(`database client on ${testEngine()}: closing`, () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await cloneTemplate(inject("dbTemplate"));
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  // An API key's "last used" write is not awaited by the request that causes it. On PGlite,
  // closing under a running statement wedged the process (a synchronous spin no time-out ends).
  it("waits for a statement nobody awaits, which then lands", async () => {
    const db = await createDatabase({ url: testDb.url });
    const org = await db.prisma.organization.create({ data: { id: randomUUID(), name: "closing" } });
    let settled = false;
    const write = db.prisma.$executeRaw`
      UPDATE organizations SET name = 'closed' WHERE id = ${org.id}::uuid`.then(() => {
      settled = true;
    });
    await db.close();
    expect(settled).toBe(true);
    await write;

    const reopened = await createDatabase({ url: testDb.url });
    try {
      expect(await reopened.prisma.organization.findUnique({ where: { id: org.id } })).toMatchObject({
        name: "closed",
      });
    } finally {
      await reopened.close();
    }
  });
});
