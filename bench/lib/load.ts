import autocannon, { type RequestParams, type Result } from "autocannon";

/** The q-quantile (0..1) of unsorted values, nearest rank. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export const surfaces = ["baseline", "rest", "graphql", "trpc"] as const;
export type Surface = (typeof surfaces)[number];

export type Target = {
  readonly surface: Surface;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Hubs per request: unset, the single call; set, the surface's bulk call with that many. */
  readonly batch?: number;
};

/** One hub per request: unique id, serial and Thing (the Thing exists in the emulator). */
export type HubSpec = { hubId: string; serial: string; model: string; thingName: string; vendorName: string };

export const PROVISION_MUTATION =
  "mutation Provision($input: ProvisionHubInput!) { provisionHub(input: $input) { __typename " +
  "... on ProvisionHubSuccess { success aggregateId version event { type data { hubId serial model thingName vendorName provisionedAt } } } " +
  "... on Error { message } } }";

export const PROVISION_MANY_MUTATION =
  "mutation ProvisionMany($input: [ProvisionHubInput!]!) { provisionHubs(input: $input) { " +
  "summary { created unchanged failed } results { __typename ... on Error { message } } } }";

const benchCaller = (requestId: string) => ({
  principal: { kind: "service", id: "bench-line", permissions: [] },
  requestId,
  correlationId: requestId,
  source: "trpc",
});

/** A bulk call of `hubs` on the target's surface. */
function bulkRequest(target: Target, hubs: HubSpec[]): RequestParams {
  switch (target.surface) {
    case "baseline":
      throw new Error("the baseline has no bulk call");
    case "rest":
      return { path: "/hubs/ProvisionHubs", body: JSON.stringify({ hubs }) };
    case "graphql":
      return {
        path: "/graphql",
        body: JSON.stringify({ query: PROVISION_MANY_MUTATION, variables: { input: hubs } }),
      };
    case "trpc":
      return {
        path: "/trpc/hub.provisionMany?batch=1",
        body: JSON.stringify({ 0: { caller: benchCaller(hubs[0]?.hubId ?? "bulk"), commands: hubs } }),
      };
  }
}

/** How many hubs a bulk answer created (the rest count as failed). */
function createdInBulk(surface: Surface, status: number, body: string): number {
  if (status !== 200) return 0;
  try {
    const parsed = JSON.parse(body);
    switch (surface) {
      case "rest":
        return parsed.summary?.created ?? 0;
      case "graphql":
        return parsed.data?.provisionHubs?.summary?.created ?? 0;
      case "trpc":
        return (parsed[0]?.result?.data ?? []).filter(
          (item: { ok: boolean; result?: { event: unknown } }) => item.ok && item.result?.event,
        ).length;
      default:
        return 0;
    }
  } catch {
    return 0;
  }
}

function request(target: Target, hub: HubSpec): RequestParams {
  switch (target.surface) {
    case "baseline":
    case "rest":
      return { path: `/hubs/${hub.hubId}/ProvisionHub`, body: JSON.stringify(hub) };
    case "graphql":
      return {
        path: "/graphql",
        body: JSON.stringify({ query: PROVISION_MUTATION, variables: { input: hub } }),
      };
    case "trpc":
      // What httpBatchLink sends for one call: POST ?batch=1 with {"0": input}.
      return {
        path: "/trpc/hub.provision?batch=1",
        body: JSON.stringify({ 0: { caller: benchCaller(hub.hubId), command: hub } }),
      };
  }
}

/** Did this response create the hub (a first provisioning, version 1)? */
function created(surface: Surface, status: number, body: string): boolean {
  switch (surface) {
    case "baseline":
    case "rest":
      return status === 201;
    case "graphql":
      // Expected failures are union members with status 200: only the success type counts.
      return (
        status === 200 && body.includes('"__typename":"ProvisionHubSuccess"') && body.includes('"version":1')
      );
    case "trpc":
      return status === 200 && body.includes('"type":"HubProvisioned"') && body.includes('"version":1');
  }
}

export type LoadResult = {
  readonly requests: number;
  /** Hubs created (one per successful single request; a bulk answer's created items). */
  readonly created: number;
  readonly failed: number;
  readonly socketErrors: number;
  readonly timeouts: number;
  readonly statusCounts: Record<string, number>;
  readonly sampleFailure?: string;
  readonly seconds: number;
  /** Created hubs per second. */
  readonly throughput: number;
  /** Milliseconds per successful request, from sending it to its complete response. */
  readonly latencies: number[];
  readonly raw: Result;
};

/**
 * Sends exactly `amount` requests (each of `target.batch` hubs, when set) over `connections`
 * keep-alive connections. A bulk request counts as failed unless all its hubs were created. A fixed amount
 * (rather than a duration) lets every response arrive: autocannon cuts in-flight requests at
 * the end of a duration, and those would be stored without their 201 being counted.
 */
export async function runLoad(options: {
  target: Target;
  connections: number;
  amount: number;
  nextHub: () => HubSpec;
}): Promise<LoadResult> {
  const { target } = options;
  const batch = target.batch;
  let createdCount = 0;
  let failedCount = 0;
  let sampleFailure: string | undefined;
  // autocannon ends a run on its next sampling tick: time the run from its own responses.
  const started = performance.now();
  let lastResponse = started;
  const latencies: number[] = [];
  const instance = autocannon({
    url: target.url,
    connections: options.connections,
    amount: Math.max(options.amount, options.connections),
    timeout: 30,
    sampleInt: 100,
    method: "POST",
    headers: { "content-type": "application/json", ...target.headers },
    requests: [
      {
        // A client builds its next request right before writing it, and `context` is per request
        // (autocannon resets it for each), so the two callbacks time each request exactly.
        setupRequest: (req, context) => {
          context.sentAt = performance.now();
          const params = batch
            ? bulkRequest(
                target,
                Array.from({ length: batch }, () => options.nextHub()),
              )
            : request(target, options.nextHub());
          return { ...req, ...params };
        },
        onResponse: (status, body, context) => {
          lastResponse = performance.now();
          const hubs = batch
            ? createdInBulk(target.surface, status, body)
            : created(target.surface, status, body)
              ? 1
              : 0;
          createdCount += hubs;
          if (hubs === (batch ?? 1)) latencies.push(lastResponse - (context.sentAt as number));
          else {
            failedCount += (batch ?? 1) - hubs;
            sampleFailure ??= `${status} ${body.slice(0, 300)}`;
          }
        },
      },
    ],
  });
  const raw = await instance;
  const statusCounts: Record<string, number> = {};
  for (const [status, { count }] of Object.entries(raw.statusCodeStats)) statusCounts[status] = Number(count);
  const seconds = (lastResponse - started) / 1000;
  return {
    /** Hubs attempted (requests × hubs per request). */
    requests: createdCount + failedCount,
    created: createdCount,
    failed: failedCount,
    // A lost bulk request loses all its hubs.
    socketErrors: raw.errors * (batch ?? 1),
    timeouts: raw.timeouts,
    statusCounts,
    ...(sampleFailure !== undefined ? { sampleFailure } : {}),
    seconds,
    throughput: createdCount / seconds,
    latencies,
    raw,
  };
}
