import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";

/** The published contract (vendored from shared/reference) the REST surface must match. */
export const contract = JSON.parse(
  readFileSync(new URL("../../../../docs/contract/hub-api-contract.json", import.meta.url), "utf8"),
) as {
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody: { content: Record<string, { schema: Record<string, unknown> }> };
        responses: Record<string, { content: Record<string, { schema: object }> }>;
      }
    >
  >;
  events: Record<string, object>;
  commands: Record<string, object>;
};

const provision = contract.paths["/hubs/{id}/ProvisionHub"]?.post;
if (!provision) throw new Error("contract has no ProvisionHub path");
export const provisionContract = provision;

export function contractResponseSchema(status: string): object {
  const schema = provisionContract.responses[status]?.content["application/json"]?.schema;
  if (!schema) throw new Error(`contract has no ${status} schema for ProvisionHub`);
  return schema;
}

const ajv = new Ajv2020.default({ strict: false, allErrors: true });

/** Validates `body` against a JSON Schema and returns the errors (empty when valid). */
export function schemaErrors(schema: object, body: unknown): string[] {
  const validate = ajv.compile(schema);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
