import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";
import SkipReporter from "../../packages/test-support/src/skip-reporter.ts";

const require = createRequire(import.meta.url);

export default defineConfig({
  // graphql 16 has no "exports": Node loads its CommonJS entry for the Pothos/Yoga packages while
  // Vite would pick the ESM one for our sources; two copies of graphql cannot share a schema.
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }] },
  test: {
    include: ["test/**/*.test.ts"],
    // Skipped tests are listed with their reason; one skipped without a reason fails the run.
    reporters: ["default", new SkipReporter()],
    globalSetup: ["../../packages/test-support/src/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
