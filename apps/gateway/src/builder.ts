import { NotFoundError, UnavailableError, ValidationError } from "@hub/shared";
import SchemaBuilder from "@pothos/core";
import ErrorsPlugin, { capitalize } from "@pothos/plugin-errors";
import RelayPlugin from "@pothos/plugin-relay";
import { JSONObjectResolver } from "graphql-scalars";
import type { GraphQLContext } from "./context.ts";

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
  };
}>({
  plugins: [ErrorsPlugin, RelayPlugin],
  defaultFieldNullability: false,
  // Expected outcomes are result data: a field with `errors: {}` answers the union `<Field>Result`
  // of its type and these errors, plus the `types` it lists. Any other error is a GraphQL error
  // (yoga.ts gives application errors their `extensions.code`).
  errors: {
    directResult: true,
    defaultTypes: [ValidationError, NotFoundError, UnavailableError],
    defaultUnionOptions: { name: ({ fieldName }) => `${capitalize(fieldName)}Result` },
  },
  // Connections only: hubs are fetched by their own ids (`hub(id)`), not by Relay global ids.
  relay: { nodeQueryOptions: false, nodesQueryOptions: false, cursorType: "String" },
});

builder.addScalarType("JSONObject", JSONObjectResolver);
// Fields are added next to their types (builder.queryField / builder.mutationField).
builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
