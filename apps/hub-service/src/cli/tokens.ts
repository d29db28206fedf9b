import { mintServiceToken } from "@hub/server-kit";
import jwt from "jsonwebtoken";
import {
  type Command,
  parseCommandArgs,
  parsePositiveInteger,
  requireOption,
  UsageError,
} from "./command.ts";
import { DEV_SECRETS_FILE, loadOrCreateDevSecrets } from "./dev-secrets.ts";
import { parsePermissions } from "./keys.ts";

const roles = ["user", "service", "admin"] as const;
type Role = (typeof roles)[number];
const MAX_EXPIRES_IN_SECONDS = 30 * 86_400;

export const tokensService: Command = {
  usage: "tokens service [--service <id>] [--expires-in <seconds>]",
  async run({ env, args, note }) {
    const { values } = parseCommandArgs(
      args,
      { service: { type: "string" }, "expires-in": { type: "string" } },
      [],
    );
    const serviceId = values.service ?? "cli";
    if (serviceId === "") throw new UsageError("--service must not be empty");
    const expiresIn =
      parsePositiveInteger(values["expires-in"], "--expires-in", MAX_EXPIRES_IN_SECONDS) ?? 3600;
    let secret = env.SERVICE_JWT_SECRET;
    if (!secret) {
      secret = (await loadOrCreateDevSecrets()).serviceJwtSecret;
      note(`SERVICE_JWT_SECRET is not set: signed with the dev secret in .data/${DEV_SECRETS_FILE}`);
    }
    const token = mintServiceToken(secret, serviceId, expiresIn);
    return { data: { token, serviceId, expiresInSeconds: expiresIn }, text: token };
  },
};

/**
 * A JWT the gateway accepts, for local use and tests: HS256 with GATEWAY_JWT_SECRET, and the
 * `iss`/`aud` the gateway requires (JWT_ISSUER/JWT_AUDIENCE, with the gateway's defaults). Real
 * deployments mint their tokens in their identity provider.
 */
export const tokensJwt: Command = {
  usage:
    "tokens jwt --sub <id> --role user|service|admin [--org <orgId>] [--permission p ...] [--expires-in <seconds>]",
  async run({ env, args, note }) {
    const { values } = parseCommandArgs(
      args,
      {
        sub: { type: "string" },
        role: { type: "string" },
        org: { type: "string" },
        permission: { type: "string", multiple: true },
        "expires-in": { type: "string" },
      },
      [],
    );
    const subject = requireOption(values.sub, "--sub");
    const role = requireOption(values.role, "--role");
    if (!isRole(role)) throw new UsageError(`--role must be one of ${roles.join(", ")}`);
    const grants = parsePermissions(values.permission);
    const expiresIn =
      parsePositiveInteger(values["expires-in"], "--expires-in", MAX_EXPIRES_IN_SECONDS) ?? 3600;
    let secret = env.GATEWAY_JWT_SECRET;
    if (!secret) {
      secret = (await loadOrCreateDevSecrets()).gatewayJwtSecret;
      note(`GATEWAY_JWT_SECRET is not set: signed with the dev secret in .data/${DEV_SECRETS_FILE}`);
    }
    const claims = {
      role,
      ...(values.org ? { org: values.org } : {}),
      ...(grants.length > 0 ? { permissions: grants } : {}),
    };
    const token = jwt.sign(claims, secret, {
      algorithm: "HS256",
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      subject,
      expiresIn,
    });
    return { data: { token, claims: { sub: subject, ...claims }, expiresInSeconds: expiresIn }, text: token };
  },
};

function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}
