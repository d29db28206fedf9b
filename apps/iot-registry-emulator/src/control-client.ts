import type { FaultSpec, RequestCounts } from "./http-server.ts";
import type { RuleChaos, RuleDestinationSpec, RuleDestinationView } from "./rule-destination.ts";
import type { HubBehaviour, HubBehaviourView } from "./simulated-hub.ts";

/**
 * A client of the emulator's control API (`/__emulator/*`), for `npm start`, the CLI and tests: devices
 * connecting or dropping off, simulated hubs, the topic rule's destination, faults, and the request
 * counts tests wait on.
 */
export function emulatorControl(baseUrl: string) {
  async function call(method: string, path: string, body: unknown, what: string): Promise<Response> {
    const response = await fetch(new URL(path, baseUrl), {
      method,
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`the registry emulator refused ${what}: ${response.status}`);
    return response;
  }
  const post = (path: string, body: unknown, what: string) => call("POST", path, body, what);
  /** The destination, its status (PENDING or ENABLED) and its delivery counters. */
  async function ruleStats(): Promise<RuleDestinationView> {
    const response = await call("GET", "/__emulator/rule-destination", undefined, "the rule destination");
    return (await response.json()) as RuleDestinationView;
  }
  const hubPath = (name: string) => `/__emulator/things/${encodeURIComponent(name)}/hub`;
  return {
    /** The device of Thing `name` connects (or drops off), as GetThingConnectivityData then reports. */
    async setConnected(name: string, connected: boolean, disconnectReason?: string): Promise<void> {
      await post(
        `/__emulator/things/${encodeURIComponent(name)}/connectivity`,
        { connected, ...(disconnectReason === undefined ? {} : { disconnectReason }) },
        `to connect ${name}`,
      );
    },
    async setFault(fault: FaultSpec): Promise<void> {
      await post("/__emulator/fault", fault, "the fault");
    },
    async requests(): Promise<RequestCounts> {
      const response = await call("GET", "/__emulator/requests", undefined, "the request counts");
      return (await response.json()) as RequestCounts;
    },
    /** How the simulated hub of Thing `name` answers commands from now on. */
    async setHubBehaviour(name: string, behaviour: HubBehaviour): Promise<HubBehaviourView> {
      const response = await post(hubPath(name), behaviour, `the hub behaviour of ${name}`);
      return (await response.json()) as HubBehaviourView;
    },
    async hubBehaviour(name: string): Promise<HubBehaviourView> {
      const response = await call("GET", hubPath(name), undefined, `the hub behaviour of ${name}`);
      return (await response.json()) as HubBehaviourView;
    },
    /** Configures the topic rule's HTTP destination; the emulator then sends it the confirmation message. */
    async configureRule(spec: RuleDestinationSpec): Promise<RuleDestinationView> {
      const response = await post("/__emulator/rule-destination", spec, "the rule destination");
      return (await response.json()) as RuleDestinationView;
    },
    /**
     * Confirms the destination as its owner would, by a GET on the confirmation's enableUrl (the
     * ConfirmTopicRuleDestination path). Without a token, the configured destination's own is used.
     */
    async confirmRule(token?: string): Promise<void> {
      const confirmationToken = token ?? (await ruleStats()).confirmationToken;
      await call(
        "GET",
        `/confirmdestination/${encodeURIComponent(confirmationToken)}`,
        undefined,
        "the confirmation",
      );
    },
    ruleStats,
    async removeRule(): Promise<void> {
      await call("DELETE", "/__emulator/rule-destination", undefined, "to remove the rule destination");
    },
    /** Test knobs: every message sent twice, and/or held briefly and sent shuffled. */
    async setRuleChaos(chaos: RuleChaos): Promise<void> {
      await post("/__emulator/rule-destination/chaos", chaos, "the rule chaos");
    },
  };
}
