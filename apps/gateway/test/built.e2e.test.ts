import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { repoRoot } from "@hub/test-support";
import { describe, expect, it } from "vitest";
import { graphql, newHubs, provisionRest } from "./reliability/support.ts";
import { useSystem } from "./support/system.ts";

// The compiled services (`npm run build`: dist/, plain node, no TypeScript loader) as production
// runs them: the same contract answers, and on Node 22 not a single warning at start.
for (const entry of [
  "apps/gateway/dist/main.js",
  "apps/hub-service/dist/main.js",
  "apps/iot-registry-emulator/dist/main.js",
]) {
  if (!existsSync(path.join(repoRoot, entry)))
    throw new Error(`${entry} is missing: run \`npm run build\` first (npm test does)`);
}
const e2e = useSystem({}, { built: true });
const nodeMajor = Number(process.versions.node.split(".")[0]);

describe(`built services (node ${process.version})`, () => {
  it("run from dist/ and answer the contract", async () => {
    const [hub] = await newHubs(e2e.current, 1);
    if (!hub) throw new Error("no hub");
    expect((await provisionRest(e2e.current, hub)).status).toBe(201);
    expect((await provisionRest(e2e.current, hub)).status).toBe(200);
    const read = await graphql(e2e.current, "query($id: ID!) { hub(id: $id) { serial version } }", {
      id: hub.hubId,
    });
    expect(read.body).toEqual({ data: { hub: { serial: hub.serial, version: 1 } } });
    for (const service of [e2e.current.system.gateway, e2e.current.system.hubService]) {
      expect(service.child.spawnargs.join(" ")).toMatch(/dist\/main\.js$/);
      expect(service.child.spawnargs).not.toContain("tsx");
    }
  });

  it(
    nodeMajor >= 22
      ? "print no warning at start on Node 22"
      : "print only the AWS SDK's Node 20 notice at start",
    async () => {
      for (const service of [
        e2e.current.system.gateway,
        e2e.current.system.hubService,
        e2e.current.system.emulator,
      ]) {
        const log = await readFile(service.logFile, "utf8");
        const warnings = log
          .split("\n")
          .filter((line) => /Warning|DeprecationWarning|ExperimentalWarning/.test(line));
        if (nodeMajor >= 22) expect(warnings, service.name).toEqual([]);
        else
          expect(
            warnings.every((line) => line.includes("NodeVersionSupportWarning")),
            service.name,
          ).toBe(true);
      }
    },
  );
});
