import { randomUUID } from "node:crypto";
import type { RequestContext } from "@hub/shared";
import { testEngine } from "@hub/test-support";
import { beforeAll, describe, expect, it } from "vitest";
import { organizationHubCountsSql } from "../src/queries/organization-hub-counts.ts";
import { useTestDatabase } from "./support/database.ts";
import { FIXTURE_ORGS, seedHubs } from "./support/hub-fixtures.ts";
import { planOf } from "./support/plans.ts";
import { useHubService } from "./support/system.ts";

const statements: string[] = [];
const db = useTestDatabase({ onStatement: (sql) => statements.push(sql) });
// No webhook fan-out polling in the background: the statements of a read are counted.
const system = useHubService(db, { WEBHOOK_FAN_OUT: "false" });
const client = () => system.current.client;
const prisma = () => db.current.prisma;

const as = (principal: RequestContext["principal"]): RequestContext => ({
  principal,
  requestId: "req-hub-counts",
  correlationId: "req-hub-counts",
  source: "graphql",
});
const admin = as({ kind: "admin", id: "admin-1", permissions: [] });
const [orgA, orgB] = FIXTURE_ORGS;
// An organization whose key provisioned hubs but none is claimed into it.
const orgC = "44444444-4444-4444-8444-444444444444";

/** Who owns each hub, computed apart from the statement under test: the claim, else the provisioner. */
async function expectedCounts(): Promise<Map<string, number>> {
  const rows = await prisma().$queryRaw<{ org_id: string | null; provisioned_by_org_id: string | null }[]>`
    SELECT org_id, provisioned_by_org_id FROM hubs`;
  const counts = new Map<string, number>();
  for (const row of rows) {
    const owner = row.org_id ?? row.provisioned_by_org_id;
    if (owner) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  return counts;
}

beforeAll(async () => {
  await seedHubs(prisma(), 3000, { label: "hc" });
  // Hubs organization C's key provisioned: 40 nobody claimed yet (C's), and 10 since claimed into A (A's).
  await prisma().$executeRaw`
    UPDATE hubs SET provisioned_by_org_id = ${orgC}
    WHERE id IN (SELECT id FROM hubs WHERE org_id IS NULL ORDER BY id LIMIT 40)`;
  await prisma().$executeRaw`
    UPDATE hubs SET provisioned_by_org_id = ${orgC}
    WHERE id IN (SELECT id FROM hubs WHERE org_id = ${orgA} ORDER BY id LIMIT 10)`;
  await prisma().$executeRawUnsafe("ANALYZE hubs");
});

describe(`organizations' hub counts (${testEngine()})`, () => {
  it("counts the hubs each organization owns, for a page of organizations in one grouped statement", async () => {
    const expected = await expectedCounts();
    const nobody = randomUUID();
    const before = statements.length;
    const counts = await client().organizations.hubCounts.query({
      caller: admin,
      ids: [orgA, orgB, orgC, nobody],
    });
    // Background sweeps (command time-outs) may run meanwhile: only this read's statements count.
    const mine = statements.slice(before).filter((sql) => /provisioned_by_org_id|org_id = ANY/.test(sql));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatch(/GROUP BY owner/);
    expect(counts).toEqual([
      { orgId: orgA, hubCount: expected.get(orgA) },
      { orgId: orgB, hubCount: expected.get(orgB) },
      { orgId: orgC, hubCount: 40 },
      { orgId: nobody, hubCount: 0 },
    ]);
    expect(expected.get(orgA)).toBeGreaterThan(0);
  });

  it("answers an organization's key for its own organization only", async () => {
    const expected = await expectedCounts();
    const caller = as({ kind: "organization", id: orgA, orgId: orgA, permissions: ["hubs:read"] });
    const counts = await client().organizations.hubCounts.query({ caller, ids: [orgA, orgB] });
    expect(counts).toEqual([{ orgId: orgA, hubCount: expected.get(orgA) }]);
  });

  it("reads both halves of ownership by index, never the whole hubs table", async () => {
    const sql = organizationHubCountsSql([orgA, orgB, orgC]);
    const nodes = await planOf(prisma(), sql);
    const summary = nodes.map(
      (n) => `${n["Node Type"]}${n["Index Name"] ? ` using ${n["Index Name"]}` : ""}`,
    );
    expect(
      nodes.filter((n) => n["Node Type"] === "Seq Scan"),
      summary.join(" > "),
    ).toEqual([]);
    const indexes = nodes.flatMap((n) => (n["Index Name"] ? [n["Index Name"]] : []));
    expect(
      indexes.some((name) => name.startsWith("hubs_org_id_")),
      summary.join(" > "),
    ).toBe(true);
    expect(indexes, summary.join(" > ")).toContain("hubs_provisioned_by_org_id_idx");
  });
});
