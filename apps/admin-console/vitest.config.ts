import { defineConfig } from "vitest/config";
import { serviceTestConfig } from "../../packages/test-support/src/vitest-config.ts";

// The browser test's system clones the migrated template (PostgreSQL or PGlite); it is slower.
export default defineConfig(
  serviceTestConfig({
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 90_000,
    hookTimeout: 240_000,
  }),
);
