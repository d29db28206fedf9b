import { CombinedError } from "@urql/core";
import { useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { useClient } from "urql";
import { ApiError } from "../components/api-error.tsx";
import { EventList, type EventRow } from "../components/event-list.tsx";
import { AnyOf, Field } from "../components/fields.tsx";
import { hubEventTypes } from "../lib/hub-list.ts";
import { type Feed, type FeedStatus, followFeed } from "../lib/live-feed.ts";
import { apiFailure } from "../lib/messages.ts";
import { hubEventStream, StreamError } from "../lib/sse-client.ts";
import { useDocumentTitle } from "../lib/use-document-title.ts";
import { EventFeedQuery } from "../queries.ts";
import { useSession } from "../session.tsx";

const INITIAL = 50;
/** The page keeps the newest events it has shown, up to this many. */
const KEEP = 500;

const statusText: Record<FeedStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  paused: "Paused",
  reconnecting: "Reconnecting… (from the last event received)",
  stopped: "Stopped",
};

function byPositionDesc(a: EventRow, b: EventRow): number {
  const [x, y] = [BigInt(a.position), BigInt(b.position)];
  return x === y ? 0 : x > y ? -1 : 1;
}

class FeedError extends Error {
  constructor(readonly combined: CombinedError) {
    super(combined.message);
  }
}

export function LivePage() {
  useDocumentTitle("Live");
  const client = useClient();
  const { token } = useSession();
  const [params, setParams] = useSearchParams();
  const hubFilter = params.get("hub")?.trim() ?? "";
  const typeFilter = params.get("type") ?? "";
  const [events, setEvents] = useState<EventRow[]>([]);
  const [status, setStatus] = useState<FeedStatus>("connecting");
  const [fatal, setFatal] = useState<CombinedError | null>(null);
  const feedRef = useRef<Feed | null>(null);

  useEffect(() => {
    // A new client (another token) starts a new feed: nothing of the previous one is kept.
    setEvents([]);
    setFatal(null);
    const feed = followFeed<EventRow>({
      // History: the newest events (the stream then starts after the newest of them).
      loadInitial: async () => {
        const result = await client
          .query(EventFeedQuery, { last: INITIAL }, { requestPolicy: "network-only" })
          .toPromise();
        if (result.error || !result.data)
          throw result.error ? new FeedError(result.error) : new Error("empty answer");
        return result.data.events.edges.map((edge) => edge.node);
      },
      open: hubEventStream(token ?? ""),
      positionOf: (event) => BigInt(event.position),
      // Newest position first (an event that committed late takes its place in the log's order).
      onEvents: (batch) => setEvents((shown) => [...batch, ...shown].sort(byPositionDesc).slice(0, KEEP)),
      onStatus: (next, detail) => {
        setStatus(next);
        if (next === "stopped" && detail instanceof FeedError) setFatal(detail.combined);
        if (next === "stopped" && detail instanceof StreamError)
          setFatal(
            new CombinedError({
              graphQLErrors: detail.graphQLErrors,
              ...(detail.response ? { response: detail.response } : {}),
            }),
          );
      },
      isFatal: (error) =>
        (error instanceof FeedError || error instanceof StreamError) &&
        ["unauthenticated", "forbidden"].includes(
          apiFailure(error instanceof FeedError ? error.combined : error).kind,
        ),
    });
    feedRef.current = feed;
    return () => feed.stop();
  }, [client, token]);

  const visible = events.filter(
    (event) => (!hubFilter || event.hubId === hubFilter) && (!typeFilter || event.type === typeFilter),
  );

  function setFilter(name: "hub" | "type", value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  return (
    <>
      <h1>Live events</h1>
      <div className="live-bar">
        <p role="status" aria-live="polite" className={`feed-status feed-${status}`} data-status={status}>
          {statusText[status]}
        </p>
        {status === "paused" ? (
          <button type="button" onClick={() => feedRef.current?.resume()}>
            Resume
          </button>
        ) : (
          <button type="button" onClick={() => feedRef.current?.pause()} disabled={status === "stopped"}>
            Pause
          </button>
        )}
      </div>
      <form className="filters" aria-label="Filter live events" onSubmit={(event) => event.preventDefault()}>
        <Field label="Hub id">
          {(id) => (
            <input
              id={id}
              type="search"
              value={hubFilter}
              spellCheck={false}
              autoComplete="off"
              onChange={(event) => setFilter("hub", event.target.value)}
            />
          )}
        </Field>
        <Field label="Event type">
          {(id) => (
            <select id={id} value={typeFilter} onChange={(event) => setFilter("type", event.target.value)}>
              <AnyOf values={hubEventTypes} />
            </select>
          )}
        </Field>
      </form>
      {fatal ? <ApiError error={fatal} /> : null}
      {status === "connecting" && events.length === 0 ? (
        <p className="muted">Loading the latest events…</p>
      ) : visible.length === 0 ? (
        <p className="empty">
          {events.length === 0
            ? "No events yet; new ones appear here as they happen."
            : "No event matches the filter."}
        </p>
      ) : (
        <EventList events={visible} showHub />
      )}
    </>
  );
}
