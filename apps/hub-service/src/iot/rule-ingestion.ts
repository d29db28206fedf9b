import { createHash, timingSafeEqual } from "node:crypto";
import { ConfirmTopicRuleDestinationCommand, IoTClient } from "@aws-sdk/client-iot";
import { UnauthenticatedError } from "@hub/shared";
import { z } from "zod";
import type { RuleMessage } from "../command-handling/device-commands.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";

/**
 * The AWS IoT topic rule's HTTP action, as hub-service takes it from the gateway (the public edge
 * that receives the rule's POSTs): the rule is authenticated by the static header it is
 * configured with, compared in constant time; its destination is confirmed with the token AWS
 * sends first, recorded here for an operator (or confirmed at once where configured, as `npm
 * start` does against the local emulator).
 */
export type RuleIngestion = {
  /** Throws UnauthenticatedError unless `secret` is the configured rule secret. */
  authenticate(secret: string | undefined): void;
  confirmation(request: DestinationConfirmation): Promise<{ readonly confirmed: boolean }>;
};

export type DestinationConfirmation = {
  readonly arn: string;
  readonly confirmationToken: string;
  readonly enableUrl?: string | undefined;
};

export type RuleIngestionOptions = {
  /** IOT_RULE_SECRET; unset: every rule message is refused (nothing is configured to send them). */
  readonly secret: string | undefined;
  readonly prisma: PrismaClient;
  /** Confirms the destination with AWS IoT (ConfirmTopicRuleDestination); unset: an operator does. */
  readonly autoConfirm?: ((confirmationToken: string) => Promise<void>) | undefined;
  readonly onConfirmation?: (arn: string, confirmed: boolean) => void;
};

const digest = (value: string) => createHash("sha256").update(value).digest();

export function createRuleIngestion(options: RuleIngestionOptions): RuleIngestion {
  const expected = options.secret === undefined ? undefined : digest(options.secret);
  return {
    authenticate(secret) {
      // Digests have one length, so the comparison takes the same time whatever was sent.
      const ok = expected !== undefined && secret !== undefined && timingSafeEqual(digest(secret), expected);
      if (!ok) throw new UnauthenticatedError("The topic rule's secret header is missing or wrong");
    },
    async confirmation({ arn, confirmationToken, enableUrl }) {
      // Kept per token: AWS sends confirmations without the rule's secret header, so a forged
      // one must not replace the genuine one an operator is about to confirm.
      await options.prisma.$executeRaw`
        INSERT INTO rule_destination_confirmations (confirmation_token, arn, enable_url)
        VALUES (${confirmationToken}, ${arn}, ${enableUrl ?? null})
        ON CONFLICT (confirmation_token) DO NOTHING`;
      let confirmed = false;
      if (options.autoConfirm) {
        await options.autoConfirm(confirmationToken);
        await options.prisma.$executeRaw`
          UPDATE rule_destination_confirmations SET confirmed_at = now()
          WHERE confirmation_token = ${confirmationToken}`;
        confirmed = true;
      }
      options.onConfirmation?.(arn, confirmed);
      return { confirmed };
    },
  };
}

const text = (max: number) => z.string().min(1).max(max);
const commandsMap = z.record(z.string().max(64), z.unknown()).nullable().optional();
const sideSchema = z.looseObject({ commands: commandsMap }).nullable().optional();

/** AWS IoT lifecycle events (`$aws/events/presence/…`); the client id of a hub is its Thing name. */
const presenceSchema = z.looseObject({
  clientId: text(128),
  timestamp: z.number().int().nonnegative(),
  eventType: z.enum(["connected", "disconnected"]),
  versionNumber: z.number().int().nonnegative(),
  disconnectReason: z.string().max(256).optional(),
  sessionIdentifier: z.string().max(256).optional(),
});

/** A shadow's `/update/documents` message with the Thing name the rule adds (`topic(3) AS thingName`). */
const shadowDocumentSchema = z.looseObject({
  thingName: text(128),
  shadowName: z.string().max(64).optional(),
  timestamp: z.number().nonnegative().optional(),
  current: z
    .looseObject({ state: z.looseObject({ desired: sideSchema, reported: sideSchema }).optional() })
    .optional(),
});

/**
 * The rule's messages as the device commands take them; a message that is neither (or a named
 * shadow's: commands travel in the classic one) is left out and counted, not fatal: the rule
 * would redeliver a refused batch forever.
 */
export function parseRuleMessages(raw: readonly unknown[]): { messages: RuleMessage[]; invalid: number } {
  const messages: RuleMessage[] = [];
  let invalid = 0;
  for (const item of raw) {
    const presence = presenceSchema.safeParse(item);
    if (presence.success) {
      const p = presence.data;
      messages.push({
        messageType: "presence",
        clientId: p.clientId,
        timestamp: p.timestamp,
        eventType: p.eventType,
        versionNumber: p.versionNumber,
        disconnectReason: p.disconnectReason,
        sessionIdentifier: p.sessionIdentifier,
      });
      continue;
    }
    const document = shadowDocumentSchema.safeParse(item);
    if (document.success && document.data.shadowName === undefined) {
      const d = document.data;
      messages.push({
        messageType: "shadow-document",
        thingName: d.thingName,
        timestamp: d.timestamp,
        current: d.current as Extract<RuleMessage, { messageType: "shadow-document" }>["current"],
      });
      continue;
    }
    invalid++;
  }
  return { messages, invalid };
}

/**
 * Confirms a destination with AWS IoT's ConfirmTopicRuleDestination (the emulator's in `npm
 * start`), through the registry's endpoint and credentials; one short-lived client per
 * confirmation, which happens once per destination.
 */
export function confirmWithAws(settings: {
  readonly AWS_REGION: string;
  readonly AWS_ENDPOINT_URL_IOT?: string | undefined;
}): (confirmationToken: string) => Promise<void> {
  return async (confirmationToken) => {
    const client = new IoTClient({
      region: settings.AWS_REGION,
      ...(settings.AWS_ENDPOINT_URL_IOT ? { endpoint: settings.AWS_ENDPOINT_URL_IOT } : {}),
    });
    try {
      await client.send(new ConfirmTopicRuleDestinationCommand({ confirmationToken }));
    } finally {
      client.destroy();
    }
  };
}
