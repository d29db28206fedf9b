import type {} from "vitest";
import type { Template } from "./databases.ts";

// What the global setup provides to every test file (`inject("dbTemplate")`).
declare module "vitest" {
  export interface ProvidedContext {
    dbTemplate: Template;
  }
}
