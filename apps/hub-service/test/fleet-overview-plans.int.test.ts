import { testEngine } from "@hub/test-support";
import { beforeAll, describe, expect, it } from "vitest";
import {
  commandCountsSql,
  deliveryCountsSql,
  hubCountsSql,
  overviewStart,
  provisionedPerDaySql,
} from "../src/queries/fleet-overview.ts";
import { useTestDatabase } from "./support/database.ts";
import { seedHubCommands, seedHubs } from "./support/hub-fixtures.ts";
import { INDEX_SCANS, planOf } from "./support/plans.ts";

/**
 * The overview's statements read hubs, hub_commands and webhook_deliveries through their indexes,
 * on the plans PostgreSQL (or PGlite) really chooses: enough rows that the planner prefers the
 * indexes on its own, statistics and visibility maps up to date (as autovacuum leaves them).
 */
const db = useTestDatabase();
const HUBS = 5000;
const startAt = Date.UTC(2025, 5, 1);

beforeAll(async () => {
  const prisma = db.current.prisma;
  const hubs = await seedHubs(prisma, HUBS, { label: "ov", startAt });
  // 40 commands for each of 250 hubs (every state), one delivery for each hub (every status).
  await seedHubCommands(
    prisma,
    hubs.slice(0, 250).map((hub) => hub.hubId),
    40,
  );
  const [org] = await prisma.$queryRaw<{ id: string }[]>`
    INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), 'overview plans') RETURNING id::text`;
  const [subscription] = await prisma.$queryRaw<{ id: string }[]>`
    INSERT INTO webhook_subscriptions (id, org_id, url, secret)
    VALUES (gen_random_uuid(), ${org?.id}::uuid, 'https://hooks.example.com/plans', 'not-a-secret')
    RETURNING id::text`;
  await prisma.$executeRaw`
    INSERT INTO webhook_deliveries (subscription_id, hub_id, version, position, event_type, status)
    SELECT ${subscription?.id}::uuid, id, 1, row_number() OVER (), 'HubProvisioned',
           (ARRAY['delivered', 'delivered', 'delivered', 'pending', 'dead'])[1 + (row_number() OVER ()) % 5]
    FROM hubs`;
  // Spread over 312 days, 90 minutes apart: the histogram's 30 days are a tenth of the fleet, as
  // a fleet provisioned over years is (a window holding every hub is rightly read whole).
  await prisma.$executeRaw`
    UPDATE hubs h SET provisioned_at = ${new Date(startAt)}::timestamptz + n.k * interval '90 minutes'
    FROM (SELECT id, row_number() OVER (ORDER BY provisioned_at, id) AS k FROM hubs) n
    WHERE n.id = h.id`;
  for (const table of ["hubs", "hub_commands", "webhook_deliveries"]) {
    await prisma.$executeRawUnsafe(`VACUUM ANALYZE ${table}`);
  }
});

describe(`fleet overview plans on ${HUBS} hubs (${testEngine()})`, () => {
  it.each([
    ["hubs by status and presence", hubCountsSql(), ["hubs_status_serial_idx", "hubs_online_serial_idx"]],
    [
      "provisioned per day",
      provisionedPerDaySql(new Date(overviewStart(startAt + HUBS * 90 * 60_000))),
      ["hubs_provisioned_at_id_idx"],
    ],
    ["commands by state", commandCountsSql(), ["hub_commands_state_idx"]],
    ["webhook deliveries", deliveryCountsSql(), ["webhook_deliveries_status_id_idx"]],
  ] as const)("%s: index scans only", async (_name, sql, indexes) => {
    const nodes = await planOf(db.current.prisma, sql);
    const summary = nodes
      .map((n) => `${n["Node Type"]}${n["Relation Name"] ? ` on ${n["Relation Name"]}` : ""}`)
      .join(" > ");
    expect(
      nodes.filter((n) => n["Node Type"] === "Seq Scan" && n["Relation Name"] !== undefined),
      summary,
    ).toEqual([]);
    const used = nodes.filter((n) => INDEX_SCANS.has(n["Node Type"])).map((n) => n["Index Name"]);
    for (const index of indexes) expect(used, summary).toContain(index);
  });
});
