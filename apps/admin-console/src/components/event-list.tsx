import { Link } from "react-router";
import type { ResultOf } from "../graphql.ts";
import type { EventFields } from "../queries.ts";
import { Detail } from "./fields.tsx";
import { Timestamp } from "./timestamp.tsx";

export type EventRow = ResultOf<typeof EventFields>;

/** Events as a list of cards: readable at 390 px, every field labelled. */
export function EventList({ events, showHub }: { events: readonly EventRow[]; showHub?: boolean }) {
  return (
    <ol className="events">
      {events.map((event) => (
        <li key={event.position} className="event" data-type={event.type} data-version={event.version}>
          <div className="event-head">
            <strong className="event-type">{event.type}</strong>
            <span>v{event.version}</span>
            <Timestamp ms={event.recordedAt} />
          </div>
          <dl className="event-meta">
            {showHub ? (
              <Detail label="Hub">
                <Link to={`/hubs/${event.hubId}`}>{event.hubId}</Link>
              </Detail>
            ) : null}
            <Detail label="Actor">{event.actor ? `${event.actor.kind} ${event.actor.id}` : "—"}</Detail>
            <Detail label="Source">{event.source ?? "—"}</Detail>
            <Detail label="Request id">
              <code>{event.requestId ?? "—"}</code>
            </Detail>
            <Detail label="Position">{event.position}</Detail>
          </dl>
          <details>
            <summary>Data</summary>
            <pre>{JSON.stringify(event.data, null, 2)}</pre>
          </details>
        </li>
      ))}
    </ol>
  );
}
