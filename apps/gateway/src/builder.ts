import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
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
  errors: { directResult: true },
  // Connections only: hubs are fetched by their own ids (`hub(id)`), not by Relay global ids.
  relay: { nodeQueryOptions: false, nodesQueryOptions: false, cursorType: "String" },
});

builder.addScalarType("JSONObject", JSONObjectResolver);
// Fields are added next to their types (builder.queryField / builder.mutationField).
builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
