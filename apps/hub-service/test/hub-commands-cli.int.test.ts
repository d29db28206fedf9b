import { randomUUID } from "node:crypto";
import type { HubCommandView } from "@hub/shared";
import { testEngine } from "@hub/test-support";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, expectOneLineFailure } from "./support/cli.ts";
import { useTestDatabase } from "./support/database.ts";
import { seedHubCommands } from "./support/hub-fixtures.ts";
import { SERVICE_SECRET, useHubService } from "./support/system.ts";

// `hubs command …` goes through a running hub-service (its tRPC API, as the service `cli`).
const db = useTestDatabase();
const system = useHubService(db, { WEBHOOK_FAN_OUT: "false" });
const hubId = randomUUID();
let commands: HubCommandView[] = [];
const env = () => ({ HUB_SERVICE_URL: system.current.url, SERVICE_JWT_SECRET: SERVICE_SECRET });

beforeAll(async () => {
  await system.current.createThing(`thing-${hubId}`);
  await system.current.client.hub.provision.mutate({
    command: { hubId, serial: `SN-${hubId}`, model: "HUB-2", thingName: `thing-${hubId}` },
  });
  commands = (await seedHubCommands(db.current.prisma, [hubId], 7)).get(hubId) ?? [];
});

describe(`hubs command (CLI through hub-service, ${testEngine()})`, () => {
  it("lists a hub's commands newest first, by state, by pages", async () => {
    const all = await cli(["hubs", "command", "list", hubId, "--json"], env());
    expect(all.code, all.stderr).toBe(0);
    const listed = JSON.parse(all.stdout) as { commands: HubCommandView[]; nextCursor: string | null };
    expect(listed.commands).toEqual(commands);
    expect(listed.nextCursor).toBeNull();

    const failed = await cli(["hubs", "command", "list", hubId, "--state", "FAILED", "--json"], env());
    expect(JSON.parse(failed.stdout).commands).toEqual(commands.filter((c) => c.state === "FAILED"));

    const page = await cli(["hubs", "command", "list", hubId, "--first", "3"], env());
    expect(page.code).toBe(0);
    expect(page.stdout.trim().split("\n")).toHaveLength(4);
    expect(page.stdout).toMatch(/\(more: --after [A-Za-z0-9_-]+\)/);
  });

  it("gets one command; an unknown one is a one-line failure", async () => {
    const command = commands[0] as HubCommandView;
    const got = await cli(["hubs", "command", "get", hubId, command.commandId], env());
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toContain(`Command ${command.commandId} on hub ${hubId}`);
    const json = await cli(["hubs", "command", "get", hubId, command.commandId, "--json"], env());
    expect(JSON.parse(json.stdout)).toEqual(command);
    expectOneLineFailure(
      await cli(["hubs", "command", "get", hubId, "no-such-command"], env()),
      /has no command no-such-command/,
    );
  });

  it("sends through hub-service: an unknown hub is NOT_FOUND, bad input is refused before sending", async () => {
    expectOneLineFailure(
      await cli(["hubs", "command", "send", randomUUID(), "server_info"], env()),
      /Hub [0-9a-f-]+ does not exist/,
    );
    expectOneLineFailure(
      await cli(["hubs", "command", "send", hubId, "server_info", "--args", "{not json"], env()),
      /--args must be a JSON object/,
    );
    expectOneLineFailure(
      await cli(["hubs", "command", "send", hubId, "server_info", "--command-id", "a b"], env()),
      /commandId/,
    );
    expectOneLineFailure(
      await cli(["hubs", "command", "list", hubId, "--state", "DONE"], env()),
      /--state must be one of/,
    );
  });

  it("says so when hub-service refuses its token or cannot be reached", async () => {
    expectOneLineFailure(
      await cli(["hubs", "command", "list", hubId], {
        ...env(),
        SERVICE_JWT_SECRET: "another-secret-0123456789abcdef-0123456789",
      }),
      /refused the CLI's service token/,
    );
    expectOneLineFailure(
      await cli(["hubs", "command", "list", hubId], { ...env(), HUB_SERVICE_URL: "http://127.0.0.1:1" }),
      /did not answer/,
    );
  });
});
