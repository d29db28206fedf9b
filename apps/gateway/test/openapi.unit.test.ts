import { describe, expect, it } from "vitest";
import { toHubStatusBody } from "../src/rest/hub-status.ts";
import { openApiDocument } from "../src/rest/openapi.ts";
import { contract, contractResponseSchema, provisionContract, schemaErrors } from "./support/contract.ts";

const ours = openApiDocument.paths["/hubs/{id}/ProvisionHub"].post;
const errorSchema = openApiDocument.components.schemas.Error;

describe("OpenAPI document of the REST surface", () => {
  it.each(["200", "201"])("describes the %s response exactly as the contract does", (status) => {
    expect(ours.responses[status as "200" | "201"].content["application/json"].schema).toEqual(
      contractResponseSchema(status),
    );
  });

  it("takes the contract's request body fields, with the same required ones", () => {
    const contractBody = provisionContract.requestBody.content["application/json"]?.schema as {
      properties: Record<string, unknown>;
      required: string[];
    };
    const body = ours.requestBody.content["application/json"].schema;
    expect(Object.keys(body.properties).sort()).toEqual(Object.keys(contractBody.properties).sort());
    expect([...body.required].sort()).toEqual([...contractBody.required].sort());
  });

  it.each(["400", "401"])(
    "requires in its error body every field the contract's %s schema requires",
    (status) => {
      // Real error bodies are validated against the served document in gateway.e2e.test.ts.
      const contractRequired = (contractResponseSchema(status) as { required: string[] }).required;
      for (const field of contractRequired) expect(errorSchema.required).toContain(field);
    },
  );

  it("documents every status the route produces", () => {
    expect(Object.keys(ours.responses).sort()).toEqual(
      ["200", "201", "400", "401", "403", "409", "413", "415", "422", "429", "503"].sort(),
    );
  });
});

describe("OpenAPI document: GET /hubs/{id}/status", () => {
  const statusOps = openApiDocument.paths["/hubs/{id}/status"].get;
  const contractOp = contract.paths["/hubs/{id}/status"]?.get as unknown as {
    responses: Record<
      string,
      { content: Record<string, { schema: { properties: object; required: string[] } }> }
    >;
  };
  const contractSchema = (status: string) => {
    const schema = contractOp.responses[status]?.content["application/json"]?.schema;
    if (!schema) throw new Error(`contract has no ${status} schema for the status route`);
    return schema;
  };
  const claimFields = ["orgId", "siteId", "isPrimary", "claimedAt"];
  const hub = toHubStatusBody({
    hubId: "5f0c4f57-3a0e-4f35-9a59-1a0f4c8c2b11",
    serial: "SN-1",
    model: "HUB-2",
    thingName: "thing-1",
    vendorName: "Acme",
    status: "Provisioned",
    version: 1,
    provisionedAt: 1_764_000_000_000,
    updatedAt: 1_764_000_000_000,
  });

  it("describes the 404 body exactly as the contract does", () => {
    expect(statusOps.responses["404"].content["application/json"].schema).toEqual(contractSchema("404"));
    const body = { success: false, errors: [{ code: 404, message: "Hub not found" }] };
    expect(schemaErrors(contractSchema("404"), body)).toEqual([]);
  });

  it("lists the contract's 200 fields and requires all but the claim fields, which an unclaimed hub lacks", () => {
    const ours = statusOps.responses["200"].content["application/json"].schema;
    expect(ours.properties).toEqual(
      expect.objectContaining(
        Object.fromEntries(
          Object.entries(contractSchema("200").properties).map(([k, v]) => [k, expect.objectContaining(v)]),
        ),
      ),
    );
    expect([...ours.required].sort()).toEqual(
      contractSchema("200")
        .required.filter((field) => !claimFields.includes(field))
        .sort(),
    );
  });

  it("answers a provisioned hub with a body valid for our schema, and short of the contract only by the claim fields", () => {
    expect(schemaErrors(statusOps.responses["200"].content["application/json"].schema, hub)).toEqual([]);
    const missing = schemaErrors(contractSchema("200"), hub);
    expect(missing).toHaveLength(claimFields.length);
    for (const field of claimFields) expect(missing.join("\n")).toContain(`'${field}'`);
  });

  it("documents every status the route produces", () => {
    expect(Object.keys(statusOps.responses).sort()).toEqual(["200", "401", "403", "404", "429", "503"]);
  });
});
