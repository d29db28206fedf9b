import { UnauthenticatedError, ValidationError } from "@hub/shared";
import { readJsonBody } from "./body.ts";
import { sendJson } from "./responses.ts";
import type { PublicRestCall } from "./routes.ts";

/** The header AWS IoT's rules engine sets on an HTTP destination's confirmation request. */
const MESSAGE_TYPE_HEADER = "x-amz-rules-engine-message-type";

const text = (value: unknown) => (typeof value === "string" ? value : undefined);

/**
 * POST /iot/rule (extension) — the AWS IoT topic rule's HTTP action: the hubs' shadow update
 * documents and presence events, forwarded to hub-service, which authenticates them by the rule's
 * secret header (401 otherwise) and answers what it took. AWS's destination confirmation (before
 * any message) is recorded for an operator, or confirmed where hub-service is set to. Not a JWT or
 * API-key route: the gateway calls hub-service as itself. The body is never logged: a command's
 * shadow document carries its secret arguments (Wi-Fi credentials, setup codes).
 */
export async function iotRuleRoute({
  req,
  res,
  hubService,
  bodyLimitBytes,
  iotRuleHeaderName,
  chargeClient,
}: PublicRestCall): Promise<void> {
  // The rules engine sends the message as it is (JSON), with whatever Content-Type the rule names.
  const body = await readJsonBody(req, bodyLimitBytes, { anyContentType: true });
  if (req.headers[MESSAGE_TYPE_HEADER] === "DestinationConfirmation") {
    // AWS sends it without the rule's secret: every one counts against the sender's IP budget.
    await chargeClient();
    const { arn, confirmationToken, enableUrl } = (isObject(body) ? body : {}) as Record<string, unknown>;
    if (text(arn) === undefined || text(confirmationToken) === undefined) {
      throw new ValidationError("A destination confirmation names its arn and confirmationToken", [
        ...(text(arn) === undefined ? [{ field: "arn", message: "required" }] : []),
        ...(text(confirmationToken) === undefined
          ? [{ field: "confirmationToken", message: "required" }]
          : []),
      ]);
    }
    const answer = await hubService.iot.ruleConfirmation.mutate({
      arn: text(arn) as string,
      confirmationToken: text(confirmationToken) as string,
      ...(text(enableUrl) !== undefined ? { enableUrl: text(enableUrl) } : {}),
    });
    return sendJson(res, 200, answer);
  }
  // One message or a batch; what is no usable message is counted by hub-service, not refused
  // (the rule would redeliver a refused batch forever).
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  const secret = req.headers[iotRuleHeaderName];
  const summary = await hubService.iot.ruleMessages
    .mutate({ ...(typeof secret === "string" ? { secret } : {}), messages })
    .catch(async (error: unknown) => {
      // A wrong secret is credential guessing: throttled per IP like a wrong API key.
      if (error instanceof UnauthenticatedError) await chargeClient();
      throw error;
    });
  sendJson(res, 200, summary);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
