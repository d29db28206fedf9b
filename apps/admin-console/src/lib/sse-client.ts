import { stringifyDocument } from "@urql/core";
import { createClient, NetworkError } from "graphql-sse";
import type { EventRow } from "../components/event-list.tsx";
import { graphql } from "../graphql.ts";
import { EventFields } from "../queries.ts";
import type { OpenStream } from "./live-feed.ts";
import { apiFailure, type ErrorLike } from "./messages.ts";

/** The live feed's subscription: the same fields as every event list shows. */
export const HubEventsSubscription = graphql(
  `
  subscription ConsoleHubEvents($filter: HubEventsFilter) {
    hubEvents(filter: $filter) {
      ...EventRow
    }
  }
`,
  [EventFields],
);

const query = stringifyDocument(HubEventsSubscription);

/** A failure of the stream in the terms the console's messages use (status and error codes). */
export class StreamError extends Error implements ErrorLike {
  readonly graphQLErrors: { message: string; extensions?: Record<string, unknown> }[];
  readonly response?: { status: number };
  readonly networkError?: Error;
  constructor(
    message: string,
    detail: {
      graphQLErrors?: { message: string; extensions?: Record<string, unknown> }[];
      status?: number;
      network?: boolean;
    },
  ) {
    super(message);
    this.graphQLErrors = detail.graphQLErrors ?? [];
    if (detail.status !== undefined) this.response = { status: detail.status };
    if (detail.network) this.networkError = this;
  }
}

function asStreamError(error: unknown): StreamError {
  if (error instanceof StreamError) return error;
  if (error instanceof NetworkError) {
    return new StreamError(error.message, {
      ...(error.response ? { status: error.response.status } : {}),
      network: true,
    });
  }
  return new StreamError(error instanceof Error ? error.message : "the stream failed", { network: true });
}

/**
 * `hubEvents` over SSE (graphql-sse, a connection per subscription) with the signed-in token in
 * the Authorization header. graphql-sse's own retries are off: they would resubscribe with the
 * first `after`, so reconnecting is the feed's (live-feed.ts), from the last position received.
 */
export function hubEventStream(token: string, filter: { hubId?: string } = {}): OpenStream<EventRow> {
  return (after, sink) => {
    const client = createClient({
      url: "/graphql",
      headers: { authorization: `Bearer ${token}` },
      singleConnection: false,
      retryAttempts: 0,
    });
    let ended = false;
    const end = (error?: unknown) => {
      if (ended) return;
      ended = true;
      sink.end(error === undefined ? undefined : asStreamError(error));
    };
    const dispose = client.subscribe<{ hubEvents: EventRow }>(
      { query, variables: { filter: { ...filter, ...(after !== null ? { after } : {}) } } },
      {
        next(result) {
          if (result.errors && result.errors.length > 0) {
            const errors = result.errors.map((e) => ({
              message: e.message,
              ...(e.extensions ? { extensions: e.extensions as Record<string, unknown> } : {}),
            }));
            end(new StreamError(errors[0]?.message ?? "the stream failed", { graphQLErrors: errors }));
            return;
          }
          if (result.data?.hubEvents && !ended) sink.next(result.data.hubEvents);
        },
        error: (error) => end(error),
        complete: () => end(),
      },
      { connected: () => sink.connected() },
    );
    return () => {
      ended = true;
      dispose();
      client.dispose();
    };
  };
}

/** A refusal of the stream that reconnecting cannot mend (401, 403). */
export function isFatalStreamError(error: unknown): boolean {
  return error instanceof StreamError && ["unauthenticated", "forbidden"].includes(apiFailure(error).kind);
}
