import type { PrismaClient } from "../../src/generated/prisma/client.ts";

/** One node of an `EXPLAIN (FORMAT JSON)` plan, with the fields the plan tests read. */
export type PlanNode = {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
};

/** The node types that read a table through an index. */
export const INDEX_SCANS = new Set(["Index Scan", "Index Only Scan", "Bitmap Index Scan"]);

/**
 * The plan the database really chooses for a statement (EXPLAIN, not run), every node of it in
 * depth-first order. PostgreSQL answers the JSON parsed, PGlite as text: both are read.
 */
export async function planOf(
  prisma: PrismaClient,
  sql: { text: string; values: unknown[] },
): Promise<PlanNode[]> {
  const rows = await prisma.$queryRawUnsafe<{ "QUERY PLAN": unknown }[]>(
    `EXPLAIN (FORMAT JSON) ${sql.text}`,
    ...sql.values,
  );
  const raw = rows[0]?.["QUERY PLAN"];
  const document = (typeof raw === "string" ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
  const nodes: PlanNode[] = [];
  const walk = (node: PlanNode) => {
    nodes.push(node);
    for (const child of node.Plans ?? []) walk(child);
  };
  for (const entry of document) walk(entry.Plan);
  return nodes;
}
