import type { HubServiceClient } from "@hub/hub-client";
import { createWaker } from "@hub/server-kit";
import { cursorOf, type LogCursor, type LogEvent } from "@hub/shared";
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { RelayMetrics } from "./metrics.ts";

/** The log consumer's durable name in hub-service (its checkpoint and lease). */
export const JETSTREAM_CONSUMER = "jetstream";

export type JetStreamPublisherOptions = {
  readonly client: HubServiceClient;
  readonly natsUrl: string;
  readonly stream: string;
  readonly duplicateWindowMs: number;
  readonly owner: string;
  readonly leaseMs: number;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  readonly batchSize?: number;
};

/** `hubs.<eventType>.<hubId>`: services subscribe to a type (`hubs.HubClaimed.>`) or a hub (`hubs.*.<id>`). */
export const subjectOf = (event: Pick<LogEvent, "type" | "streamId">): string =>
  `hubs.${event.type}.${event.streamId}`;

/** What a service receives: the webhook body's shape, with the event's metadata (actor, request id). */
export function messageOf(event: LogEvent): string {
  return JSON.stringify({
    type: event.type,
    timestamp: new Date(event.recordedAt).toISOString(),
    data: { hubId: event.streamId, version: event.version, position: event.position, ...event.data },
    metadata: event.metadata,
  });
}

/**
 * Publishes every event of the log to a JetStream stream, as a checkpointed consumer of the log
 * (through hub-service): read a batch after the checkpoint, publish each with `Nats-Msg-Id` = its
 * position and wait for the acks, then move the checkpoint. A crash between the two publishes the
 * batch again after the lease runs out; JetStream drops the copies (same Nats-Msg-Id within the
 * duplicate window, which must outlast the lease), so the stream holds each event once.
 */
export async function startJetStreamPublisher(
  options: JetStreamPublisherOptions,
): Promise<{ stop(): Promise<void> }> {
  const { client, logger } = options;
  const nc = await connect({
    servers: options.natsUrl,
    name: `event-relay ${options.owner}`,
    // The client's default gives up after 10 attempts 2 s apart: a NATS restart or outage longer
    // than ~20 s would leave a connection closed for good, every publish failing until the relay
    // itself restarts (while /healthz says ok). Reconnect for as long as the relay runs instead.
    maxReconnectAttempts: -1,
  });
  const jsm = await jetstreamManager(nc);
  const config = {
    subjects: ["hubs.>"],
    duplicate_window: options.duplicateWindowMs * 1_000_000,
  };
  // Only a missing stream is created: any other failure (of the lookup or of the update, e.g.
  // subjects another stream already captures) stops the start with its own message, not with
  // the "already in use" that adding an existing stream would answer.
  let exists = true;
  try {
    await jsm.streams.info(options.stream);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    exists = false;
  }
  if (exists) await jsm.streams.update(options.stream, config);
  else await jsm.streams.add({ name: options.stream, ...config });
  const js = jetstream(nc);
  const waker = createWaker();
  const batchSize = options.batchSize ?? 500;
  let stopped = false;

  async function publishBatch(from: LogCursor): Promise<LogCursor | undefined> {
    const { events, cursor } = await client.events.read.query({ after: from, limit: batchSize });
    if (events.length === 0) return undefined;
    // One at a time, in log order: if a publication fails, nothing after it has been stored, so
    // the retry cannot put a hub's later event before an earlier one. The checkpoint moves past
    // what was acknowledged (a loopback round trip is well under a millisecond).
    let acknowledged: LogCursor | undefined;
    let failure: unknown;
    for (const event of events) {
      try {
        const ack = await js.publish(subjectOf(event), messageOf(event), { msgID: event.position });
        options.metrics.publish(ack.duplicate);
        acknowledged = cursorOf(event);
      } catch (error) {
        failure = error;
        break;
      }
    }
    const to = failure ? acknowledged : cursor;
    if (to) {
      const { saved } = await client.events.consumerCommit.mutate({
        name: JETSTREAM_CONSUMER,
        owner: options.owner,
        from,
        to,
      });
      if (!saved) throw new Error("the JetStream publisher's lease was lost; another relay continues");
    }
    if (failure) throw failure;
    return to;
  }

  const loop = (async () => {
    let idle = 25;
    while (!stopped) {
      try {
        const { checkpoint } = await client.events.consumerLease.mutate({
          name: JETSTREAM_CONSUMER,
          owner: options.owner,
          leaseMs: options.leaseMs,
        });
        if (!checkpoint) {
          await waker.sleep(options.leaseMs / 3);
          continue;
        }
        const renewAt = Date.now() + options.leaseMs / 2;
        let from: LogCursor = checkpoint;
        let published = false;
        while (!stopped && Date.now() < renewAt) {
          const next = await publishBatch(from);
          if (!next) break;
          from = next;
          published = true;
        }
        if (published) idle = 25;
        else {
          await waker.sleep(idle);
          idle = Math.min(250, idle * 2);
        }
      } catch (error) {
        logger.warn({ err: error }, "JetStream publisher: retrying");
        await waker.sleep(1_000);
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      waker.wake();
      await loop;
      await client.events.consumerRelease
        .mutate({ name: JETSTREAM_CONSUMER, owner: options.owner })
        .catch((error: unknown) =>
          logger.warn({ err: error }, "JetStream publisher: could not give the lease up"),
        );
      await nc.drain();
    },
  };
}
