import { fileURLToPath } from "node:url";
import { defineConfig } from "prisma/config";

// The CLI would download a native schema engine from Prisma's binary host, which offline and
// air-gapped machines cannot reach. Point it at our bridge to Prisma's own WASM schema engine,
// unless the user chose an engine binary themselves.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(
  new URL("./prisma/engine/schema-engine.mjs", import.meta.url),
);

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "pglite:.data/pglite" },
});
