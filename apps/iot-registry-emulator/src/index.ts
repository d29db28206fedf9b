export { emulatorControl } from "./control-client.ts";
export { type EmulatorEnv, loadEnv } from "./env.ts";
export {
  type DeleteOutcome,
  FileRegistryStore,
  MemoryRegistryStore,
  type RegistryStore,
  type Thing,
} from "./registry.ts";
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
} from "./server.ts";
