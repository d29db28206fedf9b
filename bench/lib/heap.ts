import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { packageOf, shortUrl } from "./profile.ts";

const MB = 2 ** 20;

type SamplingNode = {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
};

export type Share = { readonly name: string; readonly mb: number; readonly percent: number };
export type AllocationSummary = {
  readonly file: string;
  /** Bytes allocated while the profile ran (V8's sampling estimate), collected objects included. */
  readonly totalMb: number;
  readonly byPackage: Share[];
  readonly topFunctions: Share[];
};

function shares(map: Map<string, number>, total: number, count: number): Share[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, bytes]) => ({
      name,
      mb: Math.round((10 * bytes) / MB) / 10,
      percent: Math.round((1000 * bytes) / total) / 10,
    }));
}

/** Bytes allocated per package and per function, from a sampling heap profile (heap-preload.cjs). */
export async function summariseAllocations(file: string, count = 15): Promise<AllocationSummary> {
  const profile = JSON.parse(await readFile(file, "utf8")) as { head: SamplingNode };
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  const stack = [profile.head];
  for (let node = stack.pop(); node; node = stack.pop()) {
    stack.push(...node.children);
    if (node.selfSize === 0) continue;
    total += node.selfSize;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || "(anonymous)"}${url ? ` ${shortUrl(url)}:${lineNumber + 1}` : ""}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize);
    const pkg = url ? packageOf(url) : "(native/vm)";
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + node.selfSize);
  }
  return {
    file,
    totalMb: Math.round(total / MB),
    byPackage: shares(byPackage, total, count),
    topFunctions: shares(byFunction, total, count),
  };
}

export type SnapshotSummary = {
  readonly file: string;
  /** Every object reachable from the roots after the full GC a snapshot starts with. */
  readonly liveMb: number;
  readonly byType: Share[];
  /** The largest objects by retained size (what would be freed with them), with their path. */
  readonly largestRetainers: Share[];
};

type Snapshot = {
  snapshot: {
    meta: {
      node_fields: string[];
      edge_fields: string[];
      node_types: [string[]];
      edge_types: [string[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
};

/** Live bytes by V8 object type and the largest retainers (dominator tree), from a .heapsnapshot. */
export async function summariseSnapshot(file: string, count = 12): Promise<SnapshotSummary> {
  const snap = JSON.parse(await readFile(file, "utf8")) as Snapshot;
  const { meta } = snap.snapshot;
  const nodeFields = meta.node_fields.length;
  const edgeFields = meta.edge_fields.length;
  const [typeAt, nameAt, sizeAt, edgeCountAt] = ["type", "name", "self_size", "edge_count"].map((f) =>
    meta.node_fields.indexOf(f),
  ) as [number, number, number, number];
  const [edgeTypeAt, edgeNameAt, toAt] = ["type", "name_or_index", "to_node"].map((f) =>
    meta.edge_fields.indexOf(f),
  ) as [number, number, number];
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const { nodes, edges, strings } = snap;
  const count_ = nodes.length / nodeFields;
  const firstEdge = new Uint32Array(count_ + 1);
  for (let i = 0, e = 0; i < count_; i++) {
    firstEdge[i] = e;
    e += (nodes[i * nodeFields + edgeCountAt] ?? 0) * edgeFields;
    firstEdge[i + 1] = e;
  }
  const size = (i: number) => nodes[i * nodeFields + sizeAt] ?? 0;
  const type = (i: number) => nodeTypes[nodes[i * nodeFields + typeAt] ?? 0] ?? "?";
  const name = (i: number) => strings[nodes[i * nodeFields + nameAt] ?? 0] ?? "";
  const weak = new Set([edgeTypes.indexOf("weak"), edgeTypes.indexOf("shortcut")]);
  const strongTargets = function* (v: number) {
    for (let e = firstEdge[v] ?? 0; e < (firstEdge[v + 1] ?? 0); e += edgeFields) {
      if (!weak.has(edges[e + edgeTypeAt] ?? -1)) yield { edge: e, to: (edges[e + toAt] ?? 0) / nodeFields };
    }
  };
  // Post-order from the root (node 0), then Cooper–Harvey–Kennedy's iterative dominators.
  const postIndex = new Int32Array(count_).fill(-1);
  const order: number[] = [];
  const visited = new Uint8Array(count_);
  const iterators: Generator<{ edge: number; to: number }>[] = [strongTargets(0)];
  const path_: number[] = [0];
  visited[0] = 1;
  while (path_.length > 0) {
    const next = iterators[iterators.length - 1]?.next();
    if (next && !next.done) {
      if (!visited[next.value.to]) {
        visited[next.value.to] = 1;
        path_.push(next.value.to);
        iterators.push(strongTargets(next.value.to));
      }
      continue;
    }
    const done = path_.pop() as number;
    iterators.pop();
    postIndex[done] = order.length;
    order.push(done);
  }
  const predecessors: number[][] = Array.from({ length: count_ }, () => []);
  for (const v of order) for (const { to } of strongTargets(v)) predecessors[to]?.push(v);
  const idom = new Int32Array(count_).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while ((postIndex[a] ?? 0) < (postIndex[b] ?? 0)) a = idom[a] ?? 0;
      while ((postIndex[b] ?? 0) < (postIndex[a] ?? 0)) b = idom[b] ?? 0;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = order.length - 2; k >= 0; k--) {
      const v = order[k] as number;
      let dominator = -1;
      for (const u of predecessors[v] ?? []) {
        if (idom[u] === -1) continue;
        dominator = dominator === -1 ? u : intersect(u, dominator);
      }
      if (dominator !== -1 && idom[v] !== dominator) {
        idom[v] = dominator;
        changed = true;
      }
    }
  }
  const retained = new Float64Array(count_);
  for (const v of order) {
    retained[v] = (retained[v] ?? 0) + size(v);
    if (v !== 0) retained[idom[v] ?? 0] = (retained[idom[v] ?? 0] ?? 0) + (retained[v] ?? 0);
  }
  const edgeLabel = new Map<number, string>();
  for (const v of order) {
    for (const { edge, to } of strongTargets(v)) {
      if (idom[to] !== v || edgeLabel.has(to)) continue;
      const kind = edgeTypes[edges[edge + edgeTypeAt] ?? 0];
      const label = edges[edge + edgeNameAt] ?? 0;
      edgeLabel.set(to, kind === "element" || kind === "hidden" ? `[${label}]` : (strings[label] ?? "?"));
    }
  }
  const describe = (v: number) => {
    const steps: string[] = [];
    for (let at = v; at !== 0 && steps.length < 6; at = idom[at] ?? 0) {
      steps.push(`${edgeLabel.get(at) ?? "?"}=${type(at)}:${name(at).slice(0, 50).replace(/\s+/g, " ")}`);
    }
    return steps.reverse().join(" > ");
  };
  const byType = new Map<string, number>();
  let live = 0;
  for (const v of order) {
    live += size(v);
    byType.set(type(v), (byType.get(type(v)) ?? 0) + size(v));
  }
  // The largest retainers, leaving out a node whose dominator retains almost the same (its chain).
  const largest = order
    .filter((v) => v !== 0 && (retained[v] ?? 0) < 0.9 * (retained[idom[v] ?? 0] ?? 0))
    .sort((a, b) => (retained[b] ?? 0) - (retained[a] ?? 0))
    .slice(0, count);
  return {
    file,
    liveMb: Math.round((10 * live) / MB) / 10,
    byType: shares(byType, live, count),
    largestRetainers: largest.map((v) => ({
      name: describe(v),
      mb: Math.round((100 * (retained[v] ?? 0)) / MB) / 100,
      percent: Math.round((1000 * (retained[v] ?? 0)) / live) / 10,
    })),
  };
}

/** The files with `extension` a process wrote into `dir`. */
export async function filesIn(dir: string, extension: string): Promise<string[]> {
  const files = await readdir(dir).catch(() => []);
  return files.filter((file) => file.endsWith(extension)).map((file) => path.join(dir, file));
}

export function formatAllocations(name: string, summary: AllocationSummary, requests: number): string {
  const perRequest =
    requests > 0 ? `, ${((summary.totalMb * 1024) / requests).toFixed(0)} KB per request` : "";
  return [
    `${name}: ${summary.totalMb} MB allocated while sampled${perRequest} (${path.basename(summary.file)})`,
    "  allocated by package:",
    ...summary.byPackage.slice(0, 10).map((e) => `    ${e.percent.toFixed(1).padStart(5)}%  ${e.name}`),
    "  top functions (bytes allocated):",
    ...summary.topFunctions.map((e) => `    ${e.percent.toFixed(1).padStart(5)}%  ${e.name}`),
  ].join("\n");
}

export function formatSnapshot(name: string, summary: SnapshotSummary): string {
  return [
    `${name}: ${summary.liveMb} MB live after a full GC (${path.basename(summary.file)})`,
    `  by type: ${summary.byType.map((e) => `${e.name} ${e.mb}`).join(", ")}`,
    "  largest retainers (MB retained, path from the root):",
    ...summary.largestRetainers.map((e) => `    ${e.mb.toFixed(2).padStart(6)}  ${e.name}`),
  ].join("\n");
}
