import { z } from "zod";

/** Unset and empty variables both mean "use the default". */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema);

const envSchema = z.object({
  IOT_EMULATOR_PORT: optional(z.coerce.number().int().min(0).max(65535).default(4566)),
  IOT_EMULATOR_HOST: optional(z.string().min(1).default("127.0.0.1")),
  IOT_EMULATOR_DATA_DIR: optional(z.string().min(1).default(".data/iot-registry")),
  IOT_EMULATOR_REGION: optional(
    z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .default("us-east-1"),
  ),
  IOT_EMULATOR_ACCOUNT_ID: optional(
    z
      .string()
      .regex(/^\d{12}$/)
      .default("000000000000"),
  ),
  /** The topic rule's HTTP destination; unset means no rule (messages go nowhere until one is configured). */
  IOT_EMULATOR_RULE_URL: optional(z.url({ protocol: /^https?$/ }).optional()),
  /** The rule's static headers, as a JSON object of header name to value. */
  IOT_EMULATOR_RULE_HEADERS: optional(
    z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: "custom", message: "must be a JSON object" });
          return z.NEVER;
        }
      })
      .pipe(z.record(z.string(), z.string()))
      .optional(),
  ),
  IOT_EMULATOR_RULE_BATCH_SIZE: optional(z.coerce.number().int().min(1).max(100).optional()),
});

export interface EmulatorEnv {
  port: number;
  host: string;
  /** As given; relative paths are resolved against the working directory by the caller. */
  dataDir: string;
  region: string;
  accountId: string;
  /** The topic rule's HTTP destination, when IOT_EMULATOR_RULE_URL is set. */
  ruleDestination?: { url: string; headers?: Record<string, string>; batchSize?: number };
}

/** The only place that reads process.env for this app. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): EmulatorEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) throw new Error(`Invalid IoT emulator environment:\n${z.prettifyError(parsed.error)}`);
  const env = parsed.data;
  return {
    port: env.IOT_EMULATOR_PORT,
    host: env.IOT_EMULATOR_HOST,
    dataDir: env.IOT_EMULATOR_DATA_DIR,
    region: env.IOT_EMULATOR_REGION,
    accountId: env.IOT_EMULATOR_ACCOUNT_ID,
    ...(env.IOT_EMULATOR_RULE_URL === undefined
      ? {}
      : {
          ruleDestination: {
            url: env.IOT_EMULATOR_RULE_URL,
            ...(env.IOT_EMULATOR_RULE_HEADERS === undefined
              ? {}
              : { headers: env.IOT_EMULATOR_RULE_HEADERS }),
            ...(env.IOT_EMULATOR_RULE_BATCH_SIZE === undefined
              ? {}
              : { batchSize: env.IOT_EMULATOR_RULE_BATCH_SIZE }),
          },
        }),
  };
}
