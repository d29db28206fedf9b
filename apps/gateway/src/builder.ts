import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
import RelayPlugin from "@pothos/plugin-relay";
import type { GraphQLContext } from "./context.ts";

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  Scalars: { ID: { Input: string; Output: string } };
}>({
  plugins: [ErrorsPlugin, RelayPlugin],
  defaultFieldNullability: false,
  errors: { directResult: true },
  // Connections only: hubs are fetched by their own ids (`hub(id)`), not by Relay global ids.
  relay: { nodeQueryOptions: false, nodesQueryOptions: false, cursorType: "String" },
});
