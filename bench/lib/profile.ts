import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame };
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

export type ProfileEntry = { readonly name: string; readonly ms: number; readonly percent: number };
export type ProfileSummary = {
  readonly file: string;
  /** CPU time sampled, idle excluded. */
  readonly busyMs: number;
  readonly idleMs: number;
  readonly topFunctions: ProfileEntry[];
  readonly byPackage: ProfileEntry[];
};

/** Where code lives: a package under node_modules, node's internals, or a workspace folder. */
export function packageOf(url: string): string {
  if (url === "") return "(native/vm)";
  if (url.startsWith("node:")) return "node:internal";
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "/node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const workspace = /\/(apps|packages)\/([^/]+)\//.exec(url);
  return workspace ? `${workspace[1]}/${workspace[2]}` : path.basename(url);
}

export function shortUrl(url: string): string {
  if (url === "") return "";
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) return url.slice(modules + "/node_modules/".length);
  const workspace = /\/((apps|packages)\/.*)$/.exec(url);
  return workspace?.[1] ?? url.replace(/^file:\/\//, "");
}

function top(map: Map<string, number>, busy: number, count: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({
      name,
      ms: Math.round(us / 1000),
      percent: Math.round((1000 * us) / busy) / 10,
    }));
}

/** Self time per function and per package from a V8 .cpuprofile. */
export async function summariseProfile(file: string, count = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id);
    if (!frame) continue;
    if (frame.functionName === "(idle)") {
      idle += us;
      continue;
    }
    busy += us;
    const where = frame.url ? ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : "";
    const name = `${frame.functionName || "(anonymous)"}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const pkg = frame.url ? packageOf(frame.url) : frame.functionName;
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  return {
    file,
    busyMs: Math.round(busy / 1000),
    idleMs: Math.round(idle / 1000),
    topFunctions: top(byFunction, busy, count),
    byPackage: top(byPackage, busy, count),
  };
}

/** The profiles a process wrote into `dir` (one per process run). */
export async function profilesIn(dir: string): Promise<string[]> {
  const files = await readdir(dir).catch(() => []);
  return files.filter((file) => file.endsWith(".cpuprofile")).map((file) => path.join(dir, file));
}

export function formatProfile(name: string, summary: ProfileSummary): string {
  const lines = [
    `${name}: ${summary.busyMs} ms busy, ${summary.idleMs} ms idle (${path.basename(summary.file)})`,
    "  self time by package:",
    ...summary.byPackage.slice(0, 10).map((e) => `    ${e.percent.toFixed(1).padStart(5)}%  ${e.name}`),
    "  top functions (self time):",
    ...summary.topFunctions.map((e) => `    ${e.percent.toFixed(1).padStart(5)}%  ${e.name}`),
  ];
  return lines.join("\n");
}
