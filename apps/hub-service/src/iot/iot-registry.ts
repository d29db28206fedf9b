import { Agent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { DescribeThingCommand, IoTClient, ResourceNotFoundException } from "@aws-sdk/client-iot";
import { NodeHttpHandler } from "@smithy/node-http-handler";

export type ThingLookup =
  | { readonly outcome: "exists"; readonly thingName: string; readonly thingArn?: string }
  | { readonly outcome: "missing"; readonly thingName: string }
  | { readonly outcome: "unavailable"; readonly thingName: string; readonly reason: string };

export type IotRegistry = {
  describeThing(thingName: string): Promise<ThingLookup>;
  close(): void;
};

export type IotRegistryOptions = {
  readonly region: string;
  /** Unset: the SDK's standard resolution (AWS_ENDPOINT_URL_IOT, then the regional endpoint). */
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Deadline for one lookup, all attempts included. */
  readonly deadlineMs: number;
  /** Deadline for one HTTP attempt; a slower attempt is abandoned and, if time remains, retried. */
  readonly attemptTimeoutMs: number;
  readonly maxAttempts: number;
};

/**
 * The AWS IoT registry port. The SDK has no request timeout by default, so a registry that never
 * answers would hang provisioning forever: every attempt has its own socket deadline and the whole
 * lookup an overall one. Only transient failures (throttling, 5xx, timeouts, refused connections)
 * are retried, by the SDK's standard strategy.
 */
export function createIotRegistry(options: IotRegistryOptions): IotRegistry {
  const client = new IoTClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: options.attemptTimeoutMs,
      requestTimeout: options.attemptTimeoutMs,
      throwOnRequestTimeout: true,
      httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
    }),
  });

  return {
    async describeThing(thingName) {
      try {
        const result = await client.send(new DescribeThingCommand({ thingName }), {
          abortSignal: AbortSignal.timeout(options.deadlineMs),
        });
        return { outcome: "exists", thingName, ...(result.thingArn ? { thingArn: result.thingArn } : {}) };
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return { outcome: "missing", thingName };
        return { outcome: "unavailable", thingName, reason: describeFailure(error) };
      }
    },
    close() {
      client.destroy();
    },
  };
}

function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return code ? `${error.name} (${code})` : error.name;
  }
  return "unknown error";
}
