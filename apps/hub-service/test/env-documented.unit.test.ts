import { undocumentedSettings } from "@hub/test-support";
import { expect, it } from "vitest";
import { envSchema as relayEnv } from "../../event-relay/src/env.ts";
import { envSchema as gatewayEnv } from "../../gateway/src/env.ts";
import { cliEnvSchema } from "../src/cli/env.ts";
import { envSchema as hubServiceEnv } from "../src/env.ts";

// Operators configure from the README: a setting an app reads that its Configuration table does
// not name is one they cannot find (the database timeouts and the provisioning queue once were).
it.each([
  ["hub-service", hubServiceEnv],
  ["gateway", gatewayEnv],
  ["event-relay", relayEnv],
  ["the operator CLI", cliEnvSchema],
])("every setting %s reads is in the README's Configuration table", (_app, schema) => {
  expect(undocumentedSettings(Object.keys(schema.shape))).toEqual([]);
});
