import { defineConfig } from "vitest/config";
import SkipReporter from "../../packages/test-support/src/skip-reporter.ts";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // Skipped tests are listed with their reason; one skipped without a reason fails the run.
    reporters: ["default", new SkipReporter()],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
