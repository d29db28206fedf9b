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
export {
  type RuleChaos,
  type RuleDestinationSpec,
  type RuleDestinationStatus,
  RuleDestinations,
  type RuleDestinationView,
  ruleDestinationSpecSchema,
} from "./rule-destination.ts";
export { CLASSIC, ShadowStore } from "./shadows.ts";
export {
  type HubBehaviour,
  type HubBehaviourView,
  type HubMode,
  hubBehaviourSchema,
  SimulatedHubs,
} from "./simulated-hub.ts";
