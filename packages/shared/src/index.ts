export * from "./errors.ts";
export * from "./hub-schemas.ts";
export * from "./principal.ts";
export * from "./validation.ts";
