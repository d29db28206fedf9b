import { DEFAULT_JWT_CLAIMS } from "@hub/shared";
import { z } from "zod";

// An exported-but-empty variable (`FOO=`) means "not set", as shells and .env files intend.
const optional = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());
const secret = z.string().min(32, "must be at least 32 characters (a random secret)");

export const cliEnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|pglite:)/, "must start with postgresql://, postgres:// or pglite:")
    .default("pglite:.data/pglite"),
  AWS_REGION: optional(z.string().min(1)).transform((value) => value ?? "us-east-1"),
  AWS_ENDPOINT_URL_IOT: optional(z.url()),
  SERVICE_JWT_SECRET: optional(secret),
  GATEWAY_JWT_SECRET: optional(secret),
  /** `tokens jwt`: the claims the gateway requires, with the gateway's defaults. */
  JWT_ISSUER: optional(z.string().min(1)).transform((value) => value ?? DEFAULT_JWT_CLAIMS.issuer),
  JWT_AUDIENCE: optional(z.string().min(1)).transform((value) => value ?? DEFAULT_JWT_CLAIMS.audience),
  /** `webhooks`: the service's rules, read as hub-service reads them (see event-delivery.ts). */
  // Any value: only "production" matters here, and other commands must not fail over it.
  NODE_ENV: optional(z.string()),
  WEBHOOK_SECRET_KEY: optional(secret),
  WEBHOOK_ALLOW_PRIVATE_URLS: optional(z.stringbool()),
  /** `hubs import`: the gateway credential, when not given as --api-key/--bearer (kept out of `ps`). */
  HUB_API_KEY: optional(z.string().min(1)),
  HUB_BEARER_TOKEN: optional(z.string().min(1)),
  /** `hubs command`: the hub-service to send through (default http://127.0.0.1:4001, as `npm start`). */
  HUB_SERVICE_URL: optional(z.url()),
});

/** Variables through which the SDK's default chain finds credentials without files or metadata. */
const AWS_CREDENTIAL_VARIABLES = [
  "AWS_ACCESS_KEY_ID",
  "AWS_PROFILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
] as const;

export type CliEnv = z.infer<typeof cliEnvSchema> & {
  /** Whether the environment names AWS credentials; if not, a local endpoint gets dummy ones. */
  readonly awsCredentialsInEnv: boolean;
};

/**
 * The operator CLI needs far less than the server: a database URL (defaulting to the embedded one),
 * AWS settings, and secrets only for the token and webhook commands (which fall back to the dev
 * secrets file).
 */
export function loadCliEnv(source: NodeJS.ProcessEnv = process.env): CliEnv {
  const result = cliEnvSchema.safeParse(source);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`invalid environment: ${issues.join("; ")}`);
  }
  return {
    ...result.data,
    awsCredentialsInEnv: AWS_CREDENTIAL_VARIABLES.some((name) => Boolean(source[name])),
  };
}
