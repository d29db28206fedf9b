import type { TestProject } from "vitest/node";
import { createTemplate } from "./databases.ts";
import "./vitest-context.ts";

/** Once per test run: a migrated template database that each test file clones. */
export default async function setup(project: TestProject) {
  const { template, dispose } = await createTemplate();
  project.provide("dbTemplate", template);
  return dispose;
}
