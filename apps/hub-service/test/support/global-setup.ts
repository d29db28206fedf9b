import { createTemplate, type Template } from "@hub/test-support";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    dbTemplate: Template;
  }
}

export default async function setup(project: TestProject) {
  const { template, dispose } = await createTemplate();
  project.provide("dbTemplate", template);
  return dispose;
}
