import { defineConfig } from "vitest/config";
import SkipReporter from "../../packages/test-support/src/skip-reporter.ts";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // Skipped tests are listed with their reason; one skipped without a reason fails the run.
    reporters: ["default", new SkipReporter()],
    // A migrated template database that the browser test's system clones (PostgreSQL or PGlite).
    globalSetup: ["../../packages/test-support/src/global-setup.ts"],
    testTimeout: 90_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
});
