// Writes the GraphQL schema SDL next to the package, so API changes show in review.
import { writeFileSync } from "node:fs";
import { printSchema } from "graphql";
import { schema } from "./schema/index.ts";

export const SCHEMA_FILE = new URL("../schema.graphql", import.meta.url);

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(SCHEMA_FILE, `${printSchema(schema)}\n`);
  process.stdout.write(`wrote ${SCHEMA_FILE.pathname}\n`);
}
