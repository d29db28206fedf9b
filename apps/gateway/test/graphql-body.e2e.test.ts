import { describe, expect, it } from "vitest";
import { useSystem } from "./support/system.ts";

// The gateway reads small JSON GraphQL bodies itself and hands them to Yoga already parsed
// (http-server.ts, readGraphqlBody); every other body streams to Yoga as before. Either way a
// client must see what Yoga answers.
const e2e = useSystem();

async function post(body: string, contentType = "application/json") {
  const response = await fetch(`${e2e.current.gatewayUrl}/graphql`, {
    method: "POST",
    headers: {
      "content-type": contentType,
      authorization: `Bearer ${e2e.current.token({ role: "service" }, { subject: "body-test" })}`,
    },
    body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json: json as { data?: unknown; errors?: { message: string }[] } };
}

describe("GraphQL request bodies", () => {
  it("runs a small JSON operation and a batch of two", async () => {
    const single = await post(JSON.stringify({ query: "{ __typename }" }));
    expect(single).toMatchObject({ status: 200, json: { data: { __typename: "Query" } } });
    const batch = await post(JSON.stringify([{ query: "{ __typename }" }, { query: "{ __typename }" }]));
    expect(batch.status).toBe(200);
    expect(batch.json).toEqual([{ data: { __typename: "Query" } }, { data: { __typename: "Query" } }]);
  });

  // What Yoga answered before the gateway read bodies itself (recorded against the previous gateway).
  it.each([
    ["malformed JSON", "{not json", 400, "POST body sent invalid JSON."],
    ["an empty object", "{}", 200, "Must provide query string."],
    [
      "a JSON string",
      JSON.stringify("{ __typename }"),
      400,
      "POST body is expected to be object but received string",
    ],
    ["whitespace", "   ", 400, "POST body sent invalid JSON."],
  ])("answers %s as Yoga does", async (_case, body, status, message) => {
    const outcome = await post(body);
    expect(outcome.status, outcome.text).toBe(status);
    expect(outcome.json?.errors?.[0]?.message, outcome.text).toBe(message);
  });

  it("answers an empty batch with an empty list, as Yoga does", async () => {
    expect(await post("[]")).toMatchObject({ status: 200, json: [] });
  });

  it("streams a body above the REST body limit to Yoga, which still answers it", async () => {
    // 1.5 MiB of padding inside a valid document: over BODY_LIMIT_BYTES (1 MiB), so not pre-read.
    const query = `{ __typename } # ${"x".repeat(1.5 * 1024 * 1024)}`;
    const outcome = await post(JSON.stringify({ query }));
    expect(outcome).toMatchObject({ status: 200, json: { data: { __typename: "Query" } } });
  });
});
