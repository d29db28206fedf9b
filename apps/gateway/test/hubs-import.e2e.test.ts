import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "@hub/test-support";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { useSystem } from "./support/system.ts";

// `npm run cli -- hubs import` as a partner runs it: a child process calling the real gateway's
// POST /hubs/ProvisionHubs (which calls the real hub-service and registry emulator).
const e2e = useSystem();
const run = promisify(execFile);

type CliRun = { code: number; stdout: string; stderr: string };

/** The CLI with none of this shell's database, AWS or secret settings: it needs none of them. */
async function hubsImport(...args: string[]): Promise<CliRun> {
  return hubsImportWith({}, ...args);
}

async function hubsImportWith(extraEnv: Record<string, string>, ...args: string[]): Promise<CliRun> {
  const env = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) =>
          !/^(AWS_|DATABASE_URL|SERVICE_JWT_SECRET|GATEWAY_JWT_SECRET|HUB_API_KEY|HUB_BEARER_TOKEN)/.test(
            name,
          ),
      ),
    ),
    ...extraEnv,
  };
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", "tsx", "apps/hub-service/src/cli/main.ts", "hubs", "import", ...args],
      { cwd: repoRoot, env, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw error;
    return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

const withKey = (file: string, ...more: string[]) => [
  file,
  "--url",
  e2e.current.gatewayUrl,
  "--api-key",
  e2e.current.apiKey,
  ...more,
];

/** The numbers of the summary table on stdout. */
function summaryOf(stdout: string): Record<string, number> {
  const numbers: Record<string, number> = {};
  for (const match of stdout.matchAll(/^(created|unchanged|rejected|total|hubs\/s)\s+(\d+)$/gm)) {
    numbers[match[1] as string] = Number(match[2]);
  }
  return numbers;
}

/** RFC 4180, written here apart from the CLI's writer, so quoting mistakes show. */
function readCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let at = 0; at < text.length; at++) {
    const char = text[at];
    if (quoted) {
      if (char === '"' && text[at + 1] === '"') {
        field += '"';
        at++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      record.push(field);
      field = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[at + 1] === "\n") at++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += char;
  }
  if (field !== "" || record.length > 0) records.push([...record, field]);
  const [header = [], ...rows] = records;
  return rows.map((row) => Object.fromEntries(header.map((name, index) => [name, row[index] ?? ""])));
}

/** `<file>.rejected.csv`: the body columns, then where and why each row was rejected. */
async function readRejected(file: string): Promise<Record<string, string>[]> {
  const rejected = readCsv(await readFile(`${file}.rejected.csv`, "utf8"));
  expect(Object.keys(rejected[0] ?? {})).toEqual([
    "hubId",
    "serial",
    "model",
    "thingName",
    "vendorName",
    "line",
    "status",
    "reason",
  ]);
  return rejected;
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

async function hubStatus(hubId: string): Promise<number> {
  const response = await fetch(`${e2e.current.gatewayUrl}/hubs/${hubId}/status`, {
    headers: { "x-api-key": e2e.current.manageApiKey },
  });
  await response.body?.cancel();
  return response.status;
}

/** Registers Things on the emulator a few dozen at a time. */
async function createThings(names: readonly string[]): Promise<void> {
  for (let start = 0; start < names.length; start += 50) {
    await Promise.all(names.slice(start, start + 50).map((name) => e2e.current.createThing(name)));
  }
}

const csvLine = (cells: readonly string[]) =>
  cells.map((cell) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)).join(",");

afterEach(() => e2e.current.setFault({ mode: "none" }));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "hubs-import-e2e-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("hubs import (CSV, 2,500 rows)", () => {
  type Expected = { line: number; status: string; reason: RegExp; hubId: string; serial: string };
  const good: string[] = [];
  const missingThing: string[] = [];
  const expectedRejected: Expected[] = [];
  let file: string;

  beforeAll(async () => {
    const lines = ["hubId,serial,model,thingName,vendorName"];
    const things: string[] = [];
    for (let index = 0; index < 2_500; index++) {
      const line = index + 2;
      const hubId = randomUUID();
      if (index % 25 === 3) {
        // A bad UUID, and a serial that needs quoting in the rejected file.
        const serial = `SN "bad", ${index}`;
        lines.push(csvLine([`not-a-uuid-${index}`, serial, "HUB-2", `thing-bad-${index}`, "Acme"]));
        expectedRejected.push({
          line,
          status: "400",
          reason: /hubId.*UUID/,
          hubId: `not-a-uuid-${index}`,
          serial,
        });
      } else if (index % 25 === 17 && missingThing.length < 99) {
        lines.push(csvLine([hubId, `SN-${hubId}`, "HUB-2", `thing-missing-${hubId}`, ""]));
        missingThing.push(hubId);
        expectedRejected.push({
          line,
          status: "422",
          reason: /does not exist/,
          hubId,
          serial: `SN-${hubId}`,
        });
      } else if (index === 1_234) {
        lines.push(csvLine([hubId, `SN-${hubId}`]));
        expectedRejected.push({
          line,
          status: "local",
          reason: /^row has 2 fields, the header has 5$/,
          hubId,
          serial: `SN-${hubId}`,
        });
      } else {
        // Every other good row leaves vendorName empty (the field is then not sent).
        lines.push(csvLine([hubId, `SN-${hubId}`, "HUB-2", `thing-${hubId}`, index % 2 === 0 ? "Acme" : ""]));
        good.push(hubId);
        things.push(`thing-${hubId}`);
      }
    }
    expect(good).toHaveLength(2_300);
    expect(expectedRejected).toHaveLength(200);
    await createThings(things);
    file = path.join(dir, "hubs.csv");
    await writeFile(file, `${lines.join("\n")}\n`);
  }, 180_000);

  async function expectRejectedFile(): Promise<Record<string, string>[]> {
    const rejected = await readRejected(file);
    expect(rejected.map((row) => Number(row.line))).toEqual(expectedRejected.map((row) => row.line));
    rejected.forEach((row, index) => {
      const expected = expectedRejected[index] as Expected;
      expect(row, `line ${expected.line}`).toMatchObject({
        hubId: expected.hubId,
        serial: expected.serial,
        status: expected.status,
      });
      expect(row.reason, `line ${expected.line}`).toMatch(expected.reason);
    });
    return rejected;
  }

  let firstRejected: Record<string, string>[] = [];

  it("imports the good rows, rejects the bad ones into <file>.rejected.csv and exits 1", async () => {
    const result = await hubsImport(...withKey(file, "--concurrency", "3"));
    expect(result.code, result.stderr).toBe(1);
    expect(summaryOf(result.stdout)).toMatchObject({
      created: 2_300,
      unchanged: 0,
      rejected: 200,
      total: 2_500,
    });
    expect(result.stdout).toMatch(/^duration\s+\d+\.\d s$/m);
    expect(result.stdout).toContain(`rejected rows: ${file}.rejected.csv`);
    // stderr is not a terminal here: plain progress lines, one per chunk, then the warning.
    expect(result.stderr).toMatch(/^imported \d+\/2500 rows \(\d+ hubs\/s\)$/m);
    expect(result.stderr).toMatch(/^imported 2500\/2500 rows/m);
    expect(result.stderr).toContain("warning: 200 of 2500 rows were rejected");
    expect(result.stderr).not.toContain(e2e.current.apiKey);
    firstRejected = await expectRejectedFile();

    const sample = [good[0], good[good.length - 1], ...good.filter((_, index) => index % 250 === 7)];
    for (const hubId of sample) expect(await hubStatus(hubId as string), hubId).toBe(200);
    expect(await hubStatus(missingThing[0] as string)).toBe(404);
  }, 180_000);

  it("re-running the same file creates nothing: the good rows are unchanged, the same rows rejected", async () => {
    const result = await hubsImport(...withKey(file));
    expect(result.code, result.stderr).toBe(1);
    expect(summaryOf(result.stdout)).toMatchObject({
      created: 0,
      unchanged: 2_300,
      rejected: 200,
      total: 2_500,
    });
    expect(await expectRejectedFile()).toEqual(firstRejected);
  }, 180_000);

  it("a file of good rows only exits 0 and removes the rejected file of an earlier run", async () => {
    const hubs = Array.from({ length: 40 }, () => randomUUID());
    await createThings(hubs.map((hubId) => `thing-${hubId}`));
    const goodFile = path.join(dir, "good.csv");
    const rows = hubs.map((hubId) => csvLine([`thing-${hubId}`, hubId, "HUB-3", `SN-${hubId}`]));
    await writeFile(goodFile, `${["thingName,hubId,model,serial", ...rows].join("\r\n")}\r\n`);
    await writeFile(`${goodFile}.rejected.csv`, "stale\n");

    const result = await hubsImport(...withKey(goodFile, "--chunk-size", "15"));
    expect(result.code, result.stderr).toBe(0);
    expect(summaryOf(result.stdout)).toMatchObject({ created: 40, unchanged: 0, rejected: 0, total: 40 });
    expect(result.stdout).not.toContain("rejected rows:");
    expect(result.stderr.match(/^imported \d+\/40 rows/gm)).toHaveLength(3);
    expect(await exists(`${goodFile}.rejected.csv`)).toBe(false);
    for (const hubId of [hubs[0], hubs[39]]) expect(await hubStatus(hubId as string)).toBe(200);
  }, 120_000);
});

describe("hubs import (JSONL)", () => {
  it("imports objects line by line; bad lines, invalid bodies and conflicts are rejected; --json", async () => {
    const taken = await e2e.current.newHub();
    const first = await hubsImport(
      ...withKey(await jsonlFile("taken.jsonl", [JSON.stringify(taken)]), "--json"),
    );
    expect(first.code, first.stderr).toBe(0);

    const [a, b] = [await e2e.current.newHub(), await e2e.current.newHub({ vendorName: "Initech" })];
    const missing = randomUUID();
    const lines = [
      JSON.stringify(a),
      "",
      JSON.stringify(b),
      '{"hubId": "oops",',
      "[1, 2, 3]",
      JSON.stringify({ hubId: "123", serial: "SN-x", model: "HUB-2" }),
      JSON.stringify({ ...(await e2e.current.newHub()), colour: "red" }),
      JSON.stringify({ hubId: missing, serial: `SN-${missing}`, model: "HUB-2", thingName: `no-${missing}` }),
      // A new hub with a serial another hub already has.
      JSON.stringify({ ...(await e2e.current.newHub()), serial: taken.serial }),
      "   ",
    ];
    const file = await jsonlFile("hubs.jsonl", lines);
    const result = await hubsImport(...withKey(file, "--json"));
    expect(result.code, result.stderr).toBe(1);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      created: 2,
      unchanged: 0,
      rejected: 6,
      total: 8,
      rejectedFile: `${file}.rejected.csv`,
    });
    expect(summary.durationSeconds).toEqual(expect.any(Number));
    expect(summary.hubsPerSecond).toEqual(expect.any(Number));
    // --json: no bar, the plain line instead.
    expect(result.stderr).toMatch(/^imported 8\/8 rows \(\d+ hubs\/s\)$/m);

    const rejected = await readRejected(file);
    const byLine = Object.fromEntries(rejected.map((row) => [row.line, row]));
    expect(Object.keys(byLine)).toEqual(["4", "5", "6", "7", "8", "9"]);
    expect(byLine["4"]).toMatchObject({ hubId: "", status: "local" });
    expect(byLine["4"]?.reason).toMatch(/^line is not valid JSON/);
    expect(byLine["5"]).toMatchObject({ status: "local", reason: "line is not a JSON object" });
    expect(byLine["6"]).toMatchObject({ hubId: "123", serial: "SN-x", status: "400" });
    expect(byLine["6"]?.reason).toMatch(/hubId.*UUID/);
    expect(byLine["7"]).toMatchObject({ status: "400" });
    expect(byLine["7"]?.reason).toContain("colour");
    expect(byLine["8"]).toMatchObject({ hubId: missing, status: "422" });
    expect(byLine["9"]).toMatchObject({ serial: taken.serial, status: "409" });
    expect(byLine["9"]?.reason).toMatch(/\(FIELD_TAKEN\)$/);
    for (const hub of [a, b]) expect(await hubStatus(hub.hubId)).toBe(200);
  }, 120_000);

  it("retries an item the gateway answered 503 (the registry unavailable) until it is created", async () => {
    const hub = await e2e.current.newHub();
    const file = await jsonlFile("flaky.jsonl", [JSON.stringify(hub)]);
    const before = (await e2e.current.registryRequests()).received;
    // Every attempt hub-service makes for this one lookup fails: the item answers 503.
    await e2e.current.setFault({ mode: "unavailable", times: 3 });
    const result = await hubsImport(...withKey(file, "--json"));
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ created: 1, rejected: 0 });
    // 3 failed lookups, then the CLI's retry found the Thing.
    expect((await e2e.current.registryRequests()).received - before).toBeGreaterThanOrEqual(4);
    expect(await hubStatus(hub.hubId)).toBe(200);
  }, 60_000);

  it("waits out the gateway's 429 (Retry-After) and sends the chunk again", async () => {
    const limited = await e2e.current.startGateway({
      RATE_LIMIT_POINTS: "1",
      RATE_LIMIT_WINDOW_SECONDS: "2",
    });
    const hubs = [await e2e.current.newHub(), await e2e.current.newHub(), await e2e.current.newHub()];
    const file = await jsonlFile(
      "limited.jsonl",
      hubs.map((hub) => JSON.stringify(hub)),
    );
    const result = await hubsImport(
      file,
      "--url",
      limited.url,
      "--api-key",
      e2e.current.apiKey,
      "--chunk-size",
      "1",
      "--concurrency",
      "1",
      "--json",
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ created: 3, rejected: 0 });
    // One request per window: the later chunks each waited for the next one.
    expect(JSON.parse(result.stdout).durationSeconds).toBeGreaterThanOrEqual(2);
    await limited.stop();
  }, 60_000);

  it("splits a chunk the gateway finds too large (413) until it fits; a row too large alone is rejected", async () => {
    const small = await e2e.current.startGateway({ BODY_LIMIT_BYTES: "2000" });
    const hubs = await Promise.all(Array.from({ length: 20 }, () => e2e.current.newHub()));
    const lines = hubs.map((hub) => JSON.stringify(hub));
    const huge = await e2e.current.newHub();
    lines.splice(7, 0, JSON.stringify({ ...huge, notes: "x".repeat(3_000) }));
    const file = await jsonlFile("large.jsonl", lines);
    const result = await hubsImport(file, "--url", small.url, "--api-key", e2e.current.apiKey, "--json");
    expect(result.code, result.stderr).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ created: 20, rejected: 1, total: 21 });
    const [rejected] = readCsv(await readFile(`${file}.rejected.csv`, "utf8"));
    expect(rejected).toMatchObject({ hubId: huge.hubId, line: "8", status: "413" });
    await small.stop();
  }, 60_000);

  async function jsonlFile(name: string, lines: readonly string[]): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, `${lines.join("\n")}\n`);
    return file;
  }
});

describe("hubs import credentials", () => {
  it("takes the key from HUB_API_KEY when no flag gives one (kept off the command line)", async () => {
    const hub = await e2e.current.newHub();
    const file = path.join(dir, "env-key.csv");
    await writeFile(
      file,
      `hubId,serial,model,thingName\n${hub.hubId},${hub.serial},${hub.model},${hub.thingName}\n`,
    );
    const result = await hubsImportWith(
      { HUB_API_KEY: e2e.current.apiKey },
      file,
      "--url",
      e2e.current.gatewayUrl,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(await hubStatus(hub.hubId)).toBe(200);
    const none = await hubsImportWith({}, file, "--url", e2e.current.gatewayUrl);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/HUB_API_KEY/);
  });

  it("a wrong API key stops the run with one line that does not contain the key", async () => {
    const hub = await e2e.current.newHub();
    const file = path.join(dir, "wrong-key.csv");
    await writeFile(
      file,
      `hubId,serial,model,thingName\n${hub.hubId},${hub.serial},${hub.model},${hub.thingName}\n`,
    );
    const wrongKey = e2e.current.remember(`hub_${"Q".repeat(12)}_${"w".repeat(43)}`);
    const result = await hubsImport(file, "--url", e2e.current.gatewayUrl, "--api-key", wrongKey);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trim().split("\n");
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: the gateway refused the credentials \(401\)/);
    expect(result.stderr).not.toContain(wrongKey);
    expect(result.stderr).not.toContain("w".repeat(20));
    expect(await exists(`${file}.rejected.csv`)).toBe(false);
    expect(await hubStatus(hub.hubId)).toBe(404);
  });

  it("a key without hubs:provision is refused (403), and --bearer sends a JWT instead", async () => {
    const hub = await e2e.current.newHub();
    const file = path.join(dir, "bearer.csv");
    await writeFile(
      file,
      `hubId,serial,model,thingName\n${hub.hubId},${hub.serial},${hub.model},${hub.thingName}\n`,
    );
    const readOnly = await hubsImport(
      file,
      "--url",
      e2e.current.gatewayUrl,
      "--api-key",
      e2e.current.readOnlyApiKey,
    );
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr.trim()).toMatch(/^error: the gateway refused the credentials \(403\)[^\n]*$/);
    expect(readOnly.stderr).not.toContain(e2e.current.readOnlyApiKey);

    const token = e2e.current.token({ role: "admin" }, { subject: "admin-import" });
    const result = await hubsImport(file, "--url", e2e.current.gatewayUrl, "--bearer", token);
    expect(result.code, result.stderr).toBe(0);
    expect(summaryOf(result.stdout)).toMatchObject({ created: 1, rejected: 0, total: 1 });
    expect(`${result.stdout}${result.stderr}`).not.toContain(token);
  });
});
