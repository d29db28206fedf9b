type Json = Record<string, any>;

/** A GraphQL answer as a test reads it: data, errors, and the raw text (to scan it for secrets). */
export type GraphqlAnswer = { data?: Json; errors?: Json[]; text: string };

/** POSTs one GraphQL operation to a gateway with exactly the given headers. */
export async function postGraphql(
  gatewayUrl: string,
  query: string,
  variables: Json,
  headers: Record<string, string>,
): Promise<GraphqlAnswer> {
  const response = await fetch(`${gatewayUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { ...(JSON.parse(text) as { data?: Json; errors?: Json[] }), text };
}
