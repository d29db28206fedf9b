export * from "./databases.ts";
export * from "./env.ts";
export * from "./held-writer.ts";
export * from "./inspect.ts";
export * from "./needs.ts";
export * from "./otlp-receiver.ts";
export * from "./processes.ts";
export type {} from "./vitest-context.ts";
export * from "./wait.ts";
