import { z } from "zod";

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

const schema = z.object({
  DATABASE_URL: z.string().default("pglite:.data/pglite"),
  /** Where the development secrets and the registry emulator's Things are kept. */
  HUB_DATA_DIR: z.string().min(1).default(".data"),
  GATEWAY_PORT: port(4000),
  HUB_SERVICE_PORT: port(4001),
  IOT_EMULATOR_PORT: port(4566),
  RELAY_PORT: port(4002),
  /** A NATS server with JetStream: the relay also publishes every event there (off when unset). */
  NATS_URL: z.string().optional(),
  AWS_REGION: z.string().default("us-east-1"),
  AWS_ENDPOINT_URL_IOT: z.url().optional(),
  /** The Device Shadow endpoint; unset: the emulator's (the registry's) unless USE_REAL_AWS. */
  IOT_DATA_ENDPOINT: z.url().optional(),
  /** Talk to the real AWS IoT registry (standard credential chain) instead of the emulator. */
  USE_REAL_AWS: z.stringbool().default(false),
  SERVICE_JWT_SECRET: z.string().min(32).optional(),
  GATEWAY_JWT_SECRET: z.string().min(32).optional(),
  IOT_RULE_SECRET: z.string().min(16).optional(),
  /** The header the emulator's topic rule sends the secret in (the gateway reads the same variable). */
  IOT_RULE_HEADER_NAME: z.string().min(1).default("x-hub-rule-secret"),
});

export function loadStartEnv(source: NodeJS.ProcessEnv = process.env) {
  const result = schema.safeParse(source);
  if (!result.success) {
    throw new Error(
      `npm start: invalid environment\n${result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`,
    );
  }
  return result.data;
}
