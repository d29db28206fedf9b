import type { ViteUserConfig } from "vitest/config";
import SkipReporter from "./skip-reporter.ts";

/**
 * The test settings every service shares: a migrated template database per run, a skipped test
 * listed with its reason (one without a reason fails the run), one file at a time (two cores:
 * files in parallel would only fight over them and over the database). `test` adds to them.
 */
export function serviceTestConfig(
  test: NonNullable<ViteUserConfig["test"]> = {},
  rest: Omit<ViteUserConfig, "test"> = {},
): ViteUserConfig {
  return {
    ...rest,
    test: {
      include: ["test/**/*.test.ts"],
      reporters: ["default", new SkipReporter()],
      globalSetup: [new URL("./global-setup.ts", import.meta.url).pathname],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      fileParallelism: false,
      ...test,
    },
  };
}
