import { Client, fetchExchange } from "@urql/core";

/**
 * One client per signed-in token (a new token starts with an empty state). No document cache:
 * an admin console shows what is true now, and every page asks for exactly what it shows.
 */
export function createApiClient(token: string): Client {
  return new Client({
    url: "/graphql",
    exchanges: [fetchExchange],
    preferGetMethod: false,
    requestPolicy: "network-only",
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
  });
}
