export * from "./heap.ts";
export * from "./http-server.ts";
export * from "./lease-owner.ts";
export * from "./logger.ts";
export * from "./service-token.ts";
export * from "./waker.ts";
