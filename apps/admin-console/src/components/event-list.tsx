import { Link } from "react-router";
import type { ResultOf } from "../graphql.ts";
import type { EventFields } from "../queries.ts";
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
              <div>
                <dt>Hub</dt>
                <dd>
                  <Link to={`/hubs/${event.hubId}`}>{event.hubId}</Link>
                </dd>
              </div>
            ) : null}
            <div>
              <dt>Actor</dt>
              <dd>{event.actor ? `${event.actor.kind} ${event.actor.id}` : "—"}</dd>
            </div>
            <div>
              <dt>Source</dt>
              <dd>{event.source ?? "—"}</dd>
            </div>
            <div>
              <dt>Request id</dt>
              <dd>
                <code>{event.requestId ?? "—"}</code>
              </dd>
            </div>
            <div>
              <dt>Position</dt>
              <dd>{event.position}</dd>
            </div>
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
