import { useParams, useSearchParams } from "react-router";
import { useQuery } from "urql";
import { ApiError, Loading } from "../components/api-error.tsx";
import { EventList } from "../components/event-list.tsx";
import { HubActions } from "../components/hub-actions.tsx";
import { Pager } from "../components/pager.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { Timestamp } from "../components/timestamp.tsx";
import {
  newestFirst,
  parseTimeline,
  type TimelinePage,
  timelineNeighbours,
  timelineParams,
  timelineVariables,
} from "../lib/timeline.ts";
import { useDocumentTitle } from "../lib/use-document-title.ts";
import { HubQuery } from "../queries.ts";

export function HubPage() {
  const { id = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const page = parseTimeline(params);
  const [result, reexecute] = useQuery({ query: HubQuery, variables: { id, ...timelineVariables(page) } });
  const hub = result.data?.hub;
  useDocumentTitle(hub ? `Hub ${hub.serial}` : "Hub");

  if (result.error) return <ApiError error={result.error} onRetry={() => reexecute()} />;
  if (!result.data) return <Loading what="the hub" />;
  if (!hub) {
    return (
      <>
        <h1>Hub not found</h1>
        <p>
          No hub has the id <code>{id}</code>.
        </p>
      </>
    );
  }
  const neighbours = timelineNeighbours(hub.events.pageInfo);
  const events = newestFirst(hub.events.edges).map((edge) => edge.node);
  return (
    <>
      <h1>
        Hub {hub.serial} <StatusBadge status={hub.status} />
      </h1>
      <dl className="details">
        <div>
          <dt>Status</dt>
          <dd data-testid="hub-status">{hub.status}</dd>
        </div>
        <div>
          <dt>Hub id</dt>
          <dd>
            <code>{hub.id}</code>
          </dd>
        </div>
        <div>
          <dt>Serial</dt>
          <dd>{hub.serial}</dd>
        </div>
        <div>
          <dt>Model</dt>
          <dd>
            {hub.model}
            {hub.vendorName ? ` (${hub.vendorName})` : ""}
          </dd>
        </div>
        <div>
          <dt>AWS IoT Thing</dt>
          <dd>
            <code>{hub.thingName}</code>
          </dd>
        </div>
        <div>
          <dt>Organization</dt>
          <dd>{hub.orgId ?? "Not claimed"}</dd>
        </div>
        <div>
          <dt>Site</dt>
          <dd>
            {hub.siteId ?? "—"}
            {hub.isPrimary ? " (primary)" : ""}
          </dd>
        </div>
        <div>
          <dt>Claimed</dt>
          <dd>
            <Timestamp ms={hub.claimedAt} />
          </dd>
        </div>
        <div>
          <dt>Provisioned</dt>
          <dd>
            <Timestamp ms={hub.provisionedAt} />
            {hub.provisionedByOrgId ? ` by ${hub.provisionedByOrgId}` : ""}
          </dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd>{hub.version}</dd>
        </div>
      </dl>
      <HubActions hub={hub} onDone={() => reexecute({ requestPolicy: "network-only" })} />
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline (newest first)</h2>
        {events.length === 0 ? (
          <p className="empty">No events on this page.</p>
        ) : (
          <EventList events={events} />
        )}
        <Pager
          label="Timeline pages"
          back={{
            label: "← Newer events",
            go: neighbours.newer ? () => setParams(timelineParams(neighbours.newer as TimelinePage)) : null,
          }}
          forward={{
            label: "Older events →",
            go: neighbours.older ? () => setParams(timelineParams(neighbours.older as TimelinePage)) : null,
          }}
        />
      </section>
    </>
  );
}
