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
});

export interface EmulatorEnv {
  port: number;
  host: string;
  /** As given; relative paths are resolved against the working directory by the caller. */
  dataDir: string;
  region: string;
  accountId: string;
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
  };
}
