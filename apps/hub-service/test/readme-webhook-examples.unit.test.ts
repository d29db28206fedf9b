import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "@hub/test-support";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { webhookBody } from "../src/webhooks/relay-claims.ts";

// The README shows partners what a webhook body looks like; partners write their receivers from
// it. Every such example must be what the system sends: its `data` valid against the contract's
// schema of its event type (once it said `userId` where the event has `claimedBy`), and shaped
// like the body hub-service builds.
const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8");
const contract = JSON.parse(
  readFileSync(path.join(repoRoot, "docs/contract/hub-api-contract.json"), "utf8"),
) as {
  events: Record<string, object>;
};
const ajv = new Ajv2020.default({ strict: false, allErrors: true });

/** The ```json blocks of the README that are webhook bodies ({type, timestamp, data}). */
function webhookExamples(): { type: string; timestamp: unknown; data: Record<string, unknown> }[] {
  const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => JSON.parse(match[1] ?? ""));
  return blocks.filter(
    (block): block is { type: string; timestamp: unknown; data: Record<string, unknown> } =>
      typeof block === "object" && block !== null && "type" in block && "data" in block,
  );
}

describe("the README's webhook body examples", () => {
  const examples = webhookExamples();

  it("there is at least one (the partners' reference)", () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples.map((example) => [example.type, example] as const))(
    "%s: data valid against the contract's event schema, plus the delivery's coordinates",
    (type, example) => {
      const schema = contract.events[type];
      expect(schema, `the contract has no event ${type}`).toBeDefined();
      const { version, position, ...eventData } = example.data;
      expect(version).toEqual(expect.any(Number));
      expect(position).toEqual(expect.stringMatching(/^\d+$/));
      const validate = ajv.compile(schema as object);
      const valid = validate(eventData);
      expect(valid ? [] : validate.errors?.map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
      expect(new Date(String(example.timestamp)).toISOString()).toBe(example.timestamp);
    },
  );

  it.each(examples.map((example) => [example.type, example] as const))(
    "%s: the same keys, in the same places, as the body hub-service sends",
    (type, example) => {
      const { hubId, version, position, ...data } = example.data;
      const sent = JSON.parse(
        webhookBody({
          type,
          recordedAt: new Date(String(example.timestamp)),
          hubId: String(hubId),
          version: Number(version),
          position: String(position),
          data,
        }),
      ) as Record<string, unknown>;
      expect(sent).toEqual(example);
    },
  );
});
