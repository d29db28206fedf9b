import type { Reporter, TestCase, TestModule, Vitest } from "vitest/node";
import { SKIP_REASON } from "./needs.ts";

/**
 * Prints every skipped test with its reason after the run, so a machine without a server shows
 * what it did not check; a test skipped without a reason (`.skip` left in, a condition with no
 * title) fails the run instead of passing silently.
 */
export default class SkipReporter implements Reporter {
  /** With `-t <pattern>` the tests left out are skipped on purpose: listed, not failed. */
  private filtered = false;

  onInit(vitest: Vitest): void {
    this.filtered = vitest.config.testNamePattern !== undefined;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped: { test: TestCase; reason: string | undefined }[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state !== "skipped") continue;
        skipped.push({ test, reason: result.note ?? SKIP_REASON.exec(test.fullName)?.[0] });
      }
    }
    if (skipped.length === 0) return;
    const byReason = new Map<string, string[]>();
    for (const { test, reason } of skipped) {
      const key = reason ?? (this.filtered ? "(left out by -t)" : "NO REASON GIVEN");
      byReason.set(key, [...(byReason.get(key) ?? []), `${test.module.relativeModuleId} > ${test.fullName}`]);
    }
    const lines = [`Skipped tests (${skipped.length}), by reason:`];
    for (const [reason, tests] of byReason) {
      lines.push(`  ${reason}: ${tests.length}`);
      for (const name of tests) lines.push(`    - ${name}`);
    }
    console.log(lines.join("\n"));
    const silent = skipped.filter(({ reason }) => reason === undefined);
    if (silent.length > 0 && !this.filtered) {
      console.error(`${silent.length} test(s) skipped without a reason: give one or run them.`);
      process.exitCode = 1;
    }
  }
}
