// The only thing other workspaces take from hub-service: the router's type, for typed clients.
export type { AppRouter } from "./trpc/router.ts";
