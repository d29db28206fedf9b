import { defineConfig } from "vitest/config";
import SkipReporter from "../../packages/test-support/src/skip-reporter.ts";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Skipped tests are listed with their reason; one skipped without a reason fails the run.
    reporters: ["default", new SkipReporter()],
    globalSetup: ["../../packages/test-support/src/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: files in parallel would only fight over them and over the database.
    fileParallelism: false,
  },
});
