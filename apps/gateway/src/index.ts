export { createGatewayApp, type GatewayApp } from "./app.ts";
export { loadEnv } from "./env.ts";
