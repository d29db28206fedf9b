import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

/** A new signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/**
 * The `webhook-signature` header: one `v1,<base64 HMAC-SHA256>` per secret, space-separated
 * (during a rotation's overlap both the new and the previous secret sign; a receiver holding
 * either verifies).
 */
export function signatureHeader(secrets: readonly string[], id: string, at: Date, body: string): string {
  return secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(" ");
}

export type SecretBox = {
  seal(plain: string): string;
  open(sealed: string): string;
};

/**
 * Signing secrets at rest: AES-256-GCM under a key of the service's (they cannot be hashed like
 * API keys, since the service signs with them). `v1:<iv>:<tag>:<ciphertext>`, base64url.
 */
export function createSecretBox(keyMaterial: string): SecretBox {
  const key = Buffer.from(hkdfSync("sha256", keyMaterial, "hub-platform", "webhook-signing-secrets", 32));
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const ciphertext = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return ["v1", iv, cipher.getAuthTag(), ciphertext]
        .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
        .join(":");
    },
    open(sealed) {
      const [version, iv, tag, ciphertext] = sealed.split(":");
      if (version !== "v1" || !iv || !tag || ciphertext === undefined)
        throw new Error("unreadable sealed secret");
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, "base64url")),
        decipher.final(),
      ]).toString("utf8");
    },
  };
}
