import { createHmac, randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

export type DevSecrets = {
  readonly serviceJwtSecret: string;
  readonly gatewayJwtSecret: string;
  /** IOT_RULE_SECRET: the header the emulator's topic rule sends to hub-service. */
  readonly iotRuleSecret: string;
};

export const DEV_SECRETS_FILE = "dev-secrets.json";

const devSecretsSchema = z
  .object({
    serviceJwtSecret: z.string().min(32),
    gatewayJwtSecret: z.string().min(32),
    // Files written before the rule secret existed lack it: derived from the service secret, so
    // every process reading the same file agrees on it without rewriting the file (no race).
    iotRuleSecret: z.string().min(16).optional(),
  })
  .transform(
    (secrets): DevSecrets => ({
      ...secrets,
      iotRuleSecret:
        secrets.iotRuleSecret ??
        createHmac("sha256", secrets.serviceJwtSecret).update("iot-rule-secret").digest("base64url"),
    }),
  );

/**
 * Local development needs the same secrets in hub-service, the gateway, the CLI and the IoT
 * emulator's topic rule (IOT_RULE_SECRET) without anyone pasting them around: the first caller
 * generates them, everyone after reads the same file. Never used when the real variables are set.
 */
export async function loadOrCreateDevSecrets(dir = ".data"): Promise<DevSecrets> {
  const file = path.resolve(dir, DEV_SECRETS_FILE);
  const existing = await readDevSecrets(file);
  if (existing) return existing;

  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const created: DevSecrets = {
    serviceJwtSecret: randomSecret(),
    gatewayJwtSecret: randomSecret(),
    iotRuleSecret: randomSecret(),
  };
  const content = `${JSON.stringify(created, null, 2)}\n`;
  // Written aside, then hard-linked into place: the link is atomic and fails if the file exists, so
  // two processes starting together agree on one pair and nobody reads a half-written file.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temp, content, { mode: 0o600, flag: "wx" });
  try {
    await link(temp, file);
  } catch (error) {
    if (errorCode(error) !== "EEXIST") {
      // Filesystems without hard links: exclusive create is still safe, only not atomic.
      await writeFile(file, content, { mode: 0o600, flag: "wx" }).catch((writeError: unknown) => {
        if (errorCode(writeError) !== "EEXIST") throw writeError;
      });
    }
  } finally {
    await rm(temp, { force: true });
  }
  const stored = await readDevSecrets(file);
  if (!stored) throw new Error(`${file} could not be created`);
  return stored;
}

async function readDevSecrets(file: string): Promise<DevSecrets | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const result = devSecretsSchema.safeParse(parsed);
  if (!result.success)
    throw new Error(`${file} is not a valid dev secrets file; delete it to generate a new one`);
  return result.data;
}

function randomSecret(): string {
  return randomBytes(48).toString("base64url");
}

function errorCode(error: unknown): string | undefined {
  return (error as { code?: string } | undefined)?.code;
}
