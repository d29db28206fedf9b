export * from "./errors.ts";
export * from "./heap.ts";
export * from "./hub-schemas.ts";
export * from "./lifecycle.ts";
export * from "./logger.ts";
export * from "./principal.ts";
export * from "./service-token.ts";
export * from "./validation.ts";
