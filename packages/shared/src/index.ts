/*
 * The contract between the services and their clients, safe in a browser: zod schemas of
 * commands, events and results, the command list, the error classes, principals and validation.
 * What only a Node service needs (logger, service tokens, HTTP draining, lease owners) is in
 * @hub/server-kit.
 */
export * from "./api-keys.ts";
export * from "./audit.ts";
export * from "./bulk.ts";
export * from "./device-commands.ts";
export * from "./errors.ts";
export * from "./event-delivery.ts";
export * from "./hub-commands.ts";
export * from "./hub-deletion.ts";
export * from "./hub-schemas.ts";
export * from "./principal.ts";
export * from "./validation.ts";
export * from "./vocabulary.ts";
