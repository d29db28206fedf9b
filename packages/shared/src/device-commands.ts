import { z } from "zod";
import { type Connection, connectionSchema, hubIdBodyField, strictBody } from "./hub-schemas.ts";
import { hubCommandStates, knownHubCommands } from "./vocabulary.ts";

/*
 * Commands to the hub itself (SendHubCommand, CommissionDevice): written into the hub's AWS IoT
 * Device Shadow (`desired.commands.<commandId>`), executed by the hub, which reports the outcome
 * in `reported.commands.<commandId>`; tracked here to a terminal state as AWS IoT's command
 * executions are.
 */

/**
 * A command's id: the client's (to retry safely) or generated. It is also the shadow update's
 * `clientToken`, hence AWS's limit of 64 bytes; letters, digits, '-' and '_' keep it a plain key.
 */
export const commandIdSchema = z
  .string({ error: "commandId must be a string" })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "commandId must be 1 to 64 letters, digits, '-' or '_'" });

/** Argument names that are secret whatever the command (a safety net for unlisted commands). */
const secretArgPattern = /credential|password|passphrase|passwd|psk|secret|token|private|setup_?code|pin$/i;

/** Whether `arg` of `command` must never leave the shadow write. */
export function isSecretArg(command: string, arg: string): boolean {
  const listed = (knownHubCommands as Record<string, { secretArgs: readonly string[] }>)[command]?.secretArgs;
  return (listed?.includes(arg) ?? false) || secretArgPattern.test(arg);
}

/**
 * A command's arguments split for recording: the public ones as sent, and the names of the secret
 * ones (their values are dropped). Secrets are only top-level arguments' values: a secret name
 * nested deeper is dropped with its whole top-level argument.
 */
export function redactArgs(
  command: string,
  args: Readonly<Record<string, unknown>> | undefined,
): { args?: Record<string, unknown>; secretArgs?: string[] } {
  if (!args) return {};
  const shown: Record<string, unknown> = {};
  const secret: string[] = [];
  for (const [name, value] of Object.entries(args)) {
    if (isSecretArg(command, name) || containsSecretName(command, value)) secret.push(name);
    else shown[name] = value;
  }
  return { args: shown, ...(secret.length > 0 ? { secretArgs: secret.sort() } : {}) };
}

function containsSecretName(command: string, value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  return Object.entries(value as Record<string, unknown>).some(
    ([name, inner]) => isSecretArg(command, name) || containsSecretName(command, inner),
  );
}

/** Levels of nesting an argument may have: the shadow allows 6 under `state`, 4 are ours. */
const MAX_ARG_DEPTH = 2;
/** Bytes of JSON the arguments may take: the shadow holds 8 KB of desired and reported together. */
export const MAX_ARGS_BYTES = 4096;

function depth(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  const inner = Object.values(value as Record<string, unknown>).map(depth);
  return 1 + (inner.length > 0 ? Math.max(...inner) : 0);
}

const argsSchema = z
  .record(z.string().min(1).max(64), z.unknown(), { error: "args must be an object" })
  .refine((args) => Object.values(args).every((value) => depth(value) <= MAX_ARG_DEPTH), {
    error: `args may nest at most ${MAX_ARG_DEPTH} levels (the Device Shadow's nesting limit)`,
  })
  .refine((args) => new TextEncoder().encode(JSON.stringify(args)).length <= MAX_ARGS_BYTES, {
    error: `args must be at most ${MAX_ARGS_BYTES} bytes of JSON (the Device Shadow's size limit)`,
  });

export const sendHubCommandBodySchema = strictBody({
  hubId: hubIdBodyField,
  command: z
    .string({
      error: (issue) => (issue.input === undefined ? "command is required" : "command must be a string"),
    })
    .min(1, { error: "command must not be empty" })
    .max(64, { error: "command must be at most 64 characters" })
    .regex(/^[A-Za-z0-9_.:-]+$/, { error: "command must be letters, digits, '_', '.', ':' or '-'" }),
  args: argsSchema.optional(),
  commandId: commandIdSchema
    .optional()
    .describe("Your id for this command, to retry it safely (generated when absent)"),
});
export type SendHubCommandBody = z.infer<typeof sendHubCommandBodySchema>;

/** Matter setup codes: the 11- or 21-digit manual pairing code, or the QR payload `MT:…`. */
export const COMMISSIONING_CODE_PATTERN = /^\d{11}$|^\d{21}$|^MT:.+$/;

export const commissionDeviceBodySchema = strictBody({
  hubId: hubIdBodyField,
  commissioningCode: z
    .string({ error: "commissioningCode is required" })
    .max(256, { error: "commissioningCode must be at most 256 characters" })
    .regex(COMMISSIONING_CODE_PATTERN, {
      error: "commissioningCode must be an 11- or 21-digit Matter code, or MT:<code>",
    }),
  commandId: commandIdSchema
    .optional()
    .describe("Your id for this command, to retry it safely (generated when absent)"),
});
export type CommissionDeviceBody = z.infer<typeof commissionDeviceBodySchema>;

/** What the hub is asked to do for a device command's body: the shadow's command and arguments. */
export type ShadowCommand = { readonly command: string; readonly args?: Readonly<Record<string, unknown>> };

export const hubCommandStateSchema = z.enum(hubCommandStates);

/** A device command's answer: the contract's body (`event: null`), plus our id and state. */
export const deviceCommandResultSchema = z.object({
  success: z.literal(true),
  aggregateId: z.string(),
  version: z.number().int(),
  event: z.null(),
  commandId: z.string(),
  state: hubCommandStateSchema,
});
export type DeviceCommandResult = z.infer<typeof deviceCommandResultSchema>;

const commandRef = { hubId: z.string(), commandId: z.string(), command: z.string() };

export const hubCommandSentDataSchema = z.strictObject({
  ...commandRef,
  /** The arguments as sent, without the secret ones. */
  args: z.record(z.string(), z.unknown()).optional(),
  /** Names of secret arguments that were present (their values went to the shadow only). */
  secretArgs: z.array(z.string()).optional(),
  /** Keyed digest of the full payload, so a retry with the same id can be told from a reuse. */
  payloadDigest: z.string(),
  sentAt: z.number(),
  /** When the command times out if the hub has not reported (epoch ms). */
  timeoutAt: z.number(),
});
export const hubCommandSucceededDataSchema = z.strictObject({
  ...commandRef,
  result: z.record(z.string(), z.unknown()).optional(),
  completedAt: z.number(),
});
export const hubCommandFailedDataSchema = z.strictObject({
  ...commandRef,
  reason: z.string(),
  completedAt: z.number(),
});
export const hubCommandRejectedDataSchema = hubCommandFailedDataSchema;
export const hubCommandTimedOutDataSchema = z.strictObject({
  ...commandRef,
  timedOutAt: z.number(),
});
export const hubConnectedDataSchema = z.strictObject({
  hubId: z.string(),
  connectedAt: z.number(),
  /** AWS IoT's lifecycle event version: orders one client's connects and disconnects. */
  versionNumber: z.number().int(),
  sessionIdentifier: z.string().optional(),
});
export const hubDisconnectedDataSchema = z.strictObject({
  hubId: z.string(),
  disconnectedAt: z.number(),
  versionNumber: z.number().int(),
  disconnectReason: z.string(),
});

/** A tracked command as reads return it (never its secret arguments' values). */
export const hubCommandViewSchema = z.object({
  commandId: z.string(),
  hubId: z.string(),
  command: z.string(),
  args: z.record(z.string(), z.unknown()).nullable(),
  secretArgs: z.array(z.string()),
  state: hubCommandStateSchema,
  result: z.record(z.string(), z.unknown()).nullable(),
  reason: z.string().nullable(),
  sentAt: z.number(),
  timeoutAt: z.number(),
  completedAt: z.number().nullable(),
  /** Who sent it: actor kind and id, and the organization if any. */
  sentBy: z.object({ kind: z.string(), id: z.string(), orgId: z.string().nullable() }),
});
export type HubCommandView = z.infer<typeof hubCommandViewSchema>;

export const hubCommandConnectionSchema = connectionSchema(hubCommandViewSchema);
export type HubCommandConnection = Connection<HubCommandView>;
