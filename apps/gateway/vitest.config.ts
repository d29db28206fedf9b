import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";
import { serviceTestConfig } from "../../packages/test-support/src/vitest-config.ts";

const require = createRequire(import.meta.url);

export default defineConfig(
  serviceTestConfig(
    {},
    {
      // graphql 16 has no "exports": Node loads its CommonJS entry for the Pothos/Yoga packages while
      // Vite would pick the ESM one for our sources; two copies of graphql cannot share a schema.
      resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }] },
    },
  ),
);
