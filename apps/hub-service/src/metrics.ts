import { Counter, Gauge, Histogram, latencyHistogram, type Registry } from "@hub/observability";
import type { Bulkhead } from "./bulkhead.ts";
import type { Database } from "./db/client.ts";
import type { DataPlaneObserver, DataPlaneOperation } from "./iot/iot-data-plane.ts";
import type { BreakerState, RegistryObserver, RegistryOperation } from "./iot/iot-registry.ts";

export type HubServiceMetrics = {
  readonly registry: Registry;
  /** One tRPC call ended: its procedure, tRPC code (OK for success) and duration. */
  procedure(path: string, code: string, seconds: number): void;
  /** A call refused or stopped because nobody waits for it: arrived late, or its caller disconnected. */
  callerGone(reason: "late" | "disconnected"): void;
  /** One command ended: created (a new event), unchanged (an idempotent repeat) or the error kind. */
  command(name: string, result: string): void;
  readonly registryCall: RegistryObserver;
  breaker(operation: RegistryOperation, state: BreakerState): void;
  readonly dataPlaneCall: DataPlaneObserver;
  dataPlaneBreaker(operation: DataPlaneOperation, state: BreakerState): void;
  /** One SQL statement sent to the database. */
  statement(sql: string): void;
  /** One group-commit statement and the new hubs it carried. */
  groupCommit(rows: number): void;
  /** Gauges read at scrape time from the live objects. */
  watch(sources: { db: Database; admission: Bulkhead }): void;
};

/** hub-service's metrics, all in the process' one registry (prefix `hub_`). */
export function createHubServiceMetrics(registry: Registry): HubServiceMetrics {
  const registers = [registry];
  const calls = latencyHistogram(
    registry,
    "hub_trpc_call_duration_seconds",
    "tRPC calls by procedure and result code",
    ["procedure", "code"],
  );
  const commands = new Counter({
    name: "hub_commands_total",
    help: "Hub commands by command and result (created, unchanged, or the error kind)",
    labelNames: ["command", "result"],
    registers,
  });
  const registryCalls = latencyHistogram(
    registry,
    "hub_iot_registry_call_duration_seconds",
    "AWS IoT registry lookups by operation and outcome (rejected: failed fast by the open breaker; deadline: cut short by the caller's; throttled: by AWS; rate-limited: no slot under IOT_REGISTRY_RPS before the caller's deadline)",
    ["operation", "outcome"],
  );
  const breakerStates: BreakerState[] = ["closed", "open", "half-open"];
  const breaker = new Gauge({
    name: "hub_iot_registry_breaker_state",
    help: "The registry circuit breaker of each operation: 1 for its current state",
    labelNames: ["operation", "state"],
    registers,
  });
  const setBreaker = (operation: RegistryOperation, state: BreakerState) => {
    for (const each of breakerStates) breaker.set({ operation, state: each }, each === state ? 1 : 0);
  };
  setBreaker("DescribeThing", "closed");
  setBreaker("GetThingConnectivityData", "closed");
  const dataPlaneCalls = latencyHistogram(
    registry,
    "hub_iot_data_plane_call_duration_seconds",
    "AWS IoT Device Shadow calls by operation and outcome (found, missing, accepted, deleted; refused: a 4xx answer such as a version conflict; rejected: failed fast by the open breaker; deadline: cut short by the caller's; throttled: by AWS; rate-limited: no slot under IOT_DATA_*_RPS before the caller's deadline)",
    ["operation", "outcome"],
  );
  const dataPlaneBreaker = new Gauge({
    name: "hub_iot_data_plane_breaker_state",
    help: "The Device Shadow circuit breaker of each operation: 1 for its current state",
    labelNames: ["operation", "state"],
    registers,
  });
  const setDataPlaneBreaker = (operation: DataPlaneOperation, state: BreakerState) => {
    for (const each of breakerStates)
      dataPlaneBreaker.set({ operation, state: each }, each === state ? 1 : 0);
  };
  setDataPlaneBreaker("GetThingShadow", "closed");
  setDataPlaneBreaker("UpdateThingShadow", "closed");
  setDataPlaneBreaker("DeleteThingShadow", "closed");
  const statements = new Counter({
    name: "hub_db_statements_total",
    help: "SQL statements sent to the database (divide by hub_commands_total for statements per command)",
    registers,
  });
  const callersGone = new Counter({
    name: "hub_calls_abandoned_total",
    help: "Calls not executed or stopped because nobody waited for them: late (arrived past the caller's deadline) or disconnected",
    labelNames: ["reason"],
    registers,
  });
  const groupRows = new Histogram({
    name: "hub_group_commit_rows",
    help: "New hubs written per group-commit statement",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers,
  });
  let sources: { db: Database; admission: Bulkhead } | undefined;
  new Gauge({
    name: "hub_db_pool_connections",
    help: "PostgreSQL pool connections by state (in_use, idle) and callers waiting for one",
    labelNames: ["state"],
    registers,
    collect() {
      const stats = sources?.db.poolStats();
      if (!stats) return;
      this.set({ state: "in_use" }, stats.inUse);
      this.set({ state: "idle" }, stats.idle);
      this.set({ state: "waiting" }, stats.waiting);
    },
  });
  new Gauge({
    name: "hub_bulkhead_commands",
    help: "Commands running (active) and waiting their turn (queued) in the bulkhead",
    labelNames: ["state"],
    registers,
    collect() {
      if (!sources) return;
      this.set({ state: "active" }, sources.admission.active());
      this.set({ state: "queued" }, sources.admission.queued());
    },
  });
  return {
    registry,
    procedure: (path, code, seconds) => calls.observe({ procedure: path, code }, seconds),
    command: (name, result) => commands.inc({ command: name, result }),
    callerGone: (reason) => callersGone.inc({ reason }),
    registryCall: (operation, outcome, seconds) => registryCalls.observe({ operation, outcome }, seconds),
    breaker: setBreaker,
    dataPlaneCall: (operation, outcome, seconds) => dataPlaneCalls.observe({ operation, outcome }, seconds),
    dataPlaneBreaker: setDataPlaneBreaker,
    statement: () => statements.inc(),
    groupCommit: (rows) => groupRows.observe(rows),
    watch(given) {
      sources = given;
    },
  };
}
