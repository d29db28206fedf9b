import {
  deviceCommandNames,
  hubEventDataSchemas,
  isDeviceCommand,
  lifecycleCommandNames,
  lifecycleCommands,
  provisionHubBodySchema,
} from "@hub/shared";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { openApiDocument } from "../src/rest/openapi.ts";
import { restRoutes } from "../src/rest/routes.ts";
import { contract } from "./support/contract.ts";

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  $ref?: string;
  items?: Schema;
};

const refs = openApiDocument.components.schemas as Record<string, Schema>;
/** Follows a local $ref and, for a nullable (anyOf with null), takes the non-null branch. */
function resolve(schema: Schema): Schema {
  if (schema.$ref) return resolve(refs[schema.$ref.replace("#/components/schemas/", "")] ?? {});
  const branch = schema.anyOf?.find((s) => s.type !== "null");
  return branch ? resolve(branch) : schema;
}
const types = (schema: Schema) =>
  new Set(
    [schema.type ?? []]
      .flat()
      .filter((t) => t !== "null")
      .map((t) => (t === "integer" ? "number" : t)),
  );

/**
 * Where `ours` fails to offer what the contract's schema promises: every property it requires,
 * and a compatible type (recursively) for every property both list. Optional contract fields we
 * never report (the status route's Thing Shadow fields) may be absent. `optional` names
 * contract-required properties we may omit (documented divergences).
 */
function shortfalls(ours: Schema, theirs: Schema, at = "", optional: readonly string[] = []): string[] {
  const mine = resolve(ours);
  const problems: string[] = [];
  const contractTypes = types(theirs);
  const ourTypes = types(mine);
  if (contractTypes.size > 0 && ourTypes.size > 0 && ![...ourTypes].every((t) => contractTypes.has(t))) {
    problems.push(`${at || "/"}: type ${[...ourTypes]} where the contract says ${[...contractTypes]}`);
  }
  for (const [name, property] of Object.entries(theirs.properties ?? {})) {
    const own = mine.properties?.[name];
    if (own) problems.push(...shortfalls(own, property, `${at}/${name}`));
    else if ((theirs.required ?? []).includes(name) && !optional.includes(name))
      problems.push(`${at}/${name}: missing`);
  }
  for (const name of theirs.required ?? []) {
    if (!optional.includes(name) && !(mine.required ?? []).includes(name))
      problems.push(`${at}/${name}: not required`);
  }
  return problems;
}

type Operation = {
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};
const ours = openApiDocument.paths as unknown as Record<string, Record<string, Operation>>;
const theirs = contract.paths as unknown as Record<string, Record<string, Operation>>;
const body = (operation: Operation | undefined) =>
  operation?.requestBody?.content["application/json"]?.schema ?? {};
const response = (operation: Operation | undefined, status: string) =>
  operation?.responses[status]?.content?.["application/json"]?.schema ?? {};

/** find-my-way's `/hubs/:id/commands/:commandId` as OpenAPI writes it. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");
const servedContractRoutes = restRoutes
  .map((route) => ({ path: openApiPath(route.path), method: route.method.toLowerCase() }))
  .filter(({ path }) => theirs[path]);

describe("OpenAPI document (generated from the zod schemas) against the contract", () => {
  it("describes every route of the route table, and nothing else", () => {
    expect(Object.keys(ours).sort()).toEqual(restRoutes.map((route) => openApiPath(route.path)).sort());
    expect(servedContractRoutes.map(({ path }) => path)).toEqual(
      expect.arrayContaining([
        "/hubs/{id}/ProvisionHub",
        "/hubs/{id}/status",
        "/hubs/{id}/ClaimHub",
        "/hubs/{id}/SuspendHub",
        "/hubs/{id}/SendHubCommand",
        "/hubs/{id}/CommissionDevice",
      ]),
    );
  });

  it.each(servedContractRoutes)(
    "$method $path: request body fields and required ones are the contract's",
    ({ path, method }) => {
      const mine = resolve(body(ours[path]?.[method]));
      const contractBody = body(theirs[path]?.[method]);
      expect(Object.keys(mine.properties ?? {}).sort()).toEqual(
        Object.keys(contractBody.properties ?? {}).sort(),
      );
      expect([...(mine.required ?? [])].sort()).toEqual([...(contractBody.required ?? [])].sort());
    },
  );

  it.each(servedContractRoutes)(
    "$method $path: every contract response body is offered",
    ({ path, method }) => {
      const contractOperation = theirs[path]?.[method];
      const statuses = Object.keys(contractOperation?.responses ?? {}).filter(
        (status) => contractOperation?.responses[status]?.content,
      );
      expect(statuses.length).toBeGreaterThan(0);
      for (const status of statuses) {
        // Documented divergence: SuspendHub never asks the registry (a lost hub is offline), so no 502.
        if (path === "/hubs/{id}/SuspendHub" && status === "502") continue;
        const mine = ours[path]?.[method]?.responses[status];
        expect(mine, `${path} ${status}`).toBeDefined();
        // The status body's claim fields are present once a hub is claimed (an unclaimed hub has none).
        const optional =
          path.endsWith("/status") && status === "200" ? ["orgId", "siteId", "isPrimary", "claimedAt"] : [];
        expect(
          shortfalls(
            response(ours[path]?.[method], status),
            response(contractOperation, status),
            "",
            optional,
          ),
        ).toEqual([]);
      }
    },
  );

  it("lifecycle commands answer 409 with a reason and 404; those that need the hub online or write its shadow also 502", () => {
    for (const name of lifecycleCommandNames) {
      const statuses = Object.keys(ours[`/hubs/{id}/${name}`]?.post?.responses ?? {});
      expect(statuses).toEqual(expect.arrayContaining(["200", "400", "401", "403", "404", "409", "503"]));
      expect(statuses.includes("502")).toBe(
        ["ClaimHub", "ReClaimHub", "SetHubRole", "SendHubCommand", "CommissionDevice"].includes(name),
      );
    }
  });

  it("marks our fields of the device commands (commandId, state) and our routes as extensions", () => {
    expect(deviceCommandNames.sort()).toEqual(["CommissionDevice", "SendHubCommand"]);
    for (const name of deviceCommandNames) {
      const operation = ours[`/hubs/{id}/${name}`]?.post;
      expect(body(operation).properties?.commandId).toHaveProperty("x-extension");
      const answer = response(operation, "200");
      expect(answer.properties?.commandId).toHaveProperty("x-extension");
      expect(answer.properties?.state).toHaveProperty("x-extension");
      expect(answer.required).toEqual(expect.arrayContaining(["commandId", "state"]));
    }
    for (const name of lifecycleCommandNames.filter((n) => !isDeviceCommand(n))) {
      expect(response(ours[`/hubs/{id}/${name}`]?.post, "200").properties).not.toHaveProperty("commandId");
    }
    const operations = openApiDocument.paths as unknown as Record<string, Record<string, object>>;
    expect(operations["/hubs/{id}/commands/{commandId}"]?.get).toHaveProperty("x-extension", true);
    expect(operations["/iot/rule"]?.post).toHaveProperty("x-extension", true);
    // The rule's endpoint is not JWT/API-key authenticated (its secret header is checked by hub-service).
    expect(operations["/iot/rule"]?.post).toHaveProperty("security", []);
  });
});

describe("command and event schemas against the contract's (and its marked extensions)", () => {
  const printed = (schema: z.ZodType, io: "input" | "output") => z.toJSONSchema(schema, { io }) as Schema;
  const commands = {
    ProvisionHub: provisionHubBodySchema,
    ...Object.fromEntries(lifecycleCommandNames.map((n) => [n, lifecycleCommands[n].body])),
  };

  it.each(Object.entries(commands))("command %s: the contract's fields, required alike", (name, schema) => {
    const contractSchema = contract.commands[name] as Schema | undefined;
    expect(contractSchema, `${name} in docs/contract`).toBeDefined();
    const mine = printed(schema, "input");
    expect(Object.keys(mine.properties ?? {}).sort()).toEqual(
      Object.keys(contractSchema?.properties ?? {}).sort(),
    );
    expect([...(mine.required ?? [])].sort()).toEqual([...(contractSchema?.required ?? [])].sort());
  });

  it.each(Object.entries(hubEventDataSchemas))("event %s: exactly the contract's data", (name, schema) => {
    const contractSchema = contract.events[name] as Schema | undefined;
    expect(contractSchema, `${name} in docs/contract`).toBeDefined();
    const mine = printed(schema, "output");
    expect(Object.keys(mine.properties ?? {}).sort()).toEqual(
      Object.keys(contractSchema?.properties ?? {}).sort(),
    );
    expect([...(mine.required ?? [])].sort()).toEqual([...(contractSchema?.required ?? [])].sort());
    expect(shortfalls(mine, contractSchema ?? {})).toEqual([]);
  });

  it("marks the extensions in the contract copy", () => {
    for (const name of ["ResumeHub", "DecommissionHub", "CommissionDevice"])
      expect(contract.commands[name]).toHaveProperty("x-extension");
    for (const name of [
      "HubResumed",
      "HubCommandSent",
      "HubCommandSucceeded",
      "HubCommandFailed",
      "HubCommandRejected",
      "HubCommandTimedOut",
      "HubConnected",
      "HubDisconnected",
    ])
      expect(contract.events[name], name).toHaveProperty("x-extension");
    type Properties = { properties: Record<string, object> };
    expect((contract.commands.SendHubCommand as Properties).properties.commandId).toHaveProperty(
      "x-extension",
    );
    for (const name of deviceCommandNames) {
      const post = contract.paths[`/hubs/{id}/${name}`]?.post;
      const requestBody = post?.requestBody.content["application/json"]?.schema as unknown as Properties;
      expect(requestBody.properties.commandId).toHaveProperty("x-extension");
      const answer = post?.responses["200"]?.content["application/json"]?.schema as Properties;
      expect(answer.properties.commandId).toHaveProperty("x-extension");
      expect(answer.properties.state).toHaveProperty("x-extension");
    }
    expect(contract.paths["/hubs/{id}/commands/{commandId}"]?.get).toHaveProperty("x-extension");
    expect(contract.paths["/iot/rule"]?.post).toHaveProperty("x-extension");
  });
});
