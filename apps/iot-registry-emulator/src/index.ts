export { emulatorControl } from "./control-client.ts";
export { type EmulatorEnv, loadEnv } from "./env.ts";
export {
  createRegistryServer,
  type EmulatorLogger,
  type FaultControl,
  type FaultMode,
  type FaultSpec,
  faultSpecSchema,
  type RegistryServer,
  type RegistryServerOptions,
  type RequestCounts,
} from "./http-server.ts";
export {
  type DeleteOutcome,
  FileRegistryStore,
  MemoryRegistryStore,
  type RegistryStore,
  type Thing,
} from "./registry.ts";
