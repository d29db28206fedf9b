import { describe, expect, it } from "vitest";
import { openApiDocument } from "../src/rest/openapi.ts";
import { contractResponseSchema, provisionContract, schemaErrors } from "./support/contract.ts";

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

  it.each(["400", "401"])("has an error body that satisfies the contract's %s schema", (status) => {
    const sample = {
      success: false,
      error: "Bad Request",
      message: "m",
      code: 400,
      details: [{ field: "f", message: "x" }],
    };
    expect(schemaErrors(errorSchema, sample)).toEqual([]);
    expect(schemaErrors(contractResponseSchema(status), sample)).toEqual([]);
    const contractRequired = (contractResponseSchema(status) as { required: string[] }).required;
    for (const field of contractRequired) expect(errorSchema.required).toContain(field);
  });

  it("documents every status the route produces", () => {
    expect(Object.keys(ours.responses).sort()).toEqual(
      ["200", "201", "400", "401", "403", "409", "413", "415", "422", "429", "503"].sort(),
    );
  });
});
