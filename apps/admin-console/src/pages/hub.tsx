import { useEffect, useState } from "react";
import { useParams, useSearchParams } from "react-router";
import { useQuery } from "urql";
import { ApiError, Loading } from "../components/api-error.tsx";
import { CommandList } from "../components/command-list.tsx";
import { CommandPanel } from "../components/command-panel.tsx";
import {
  DeletedHubSummary,
  DeleteHubSection,
  type HubDeletionResult,
} from "../components/delete-hub-section.tsx";
import { EventList } from "../components/event-list.tsx";
import { Detail } from "../components/fields.tsx";
import { HubActions } from "../components/hub-actions.tsx";
import { HubStatusPanel } from "../components/hub-status-panel.tsx";
import { useHubEventPulse } from "../components/live-hub-events.ts";
import { OrgName } from "../components/org-name.tsx";
import { Pager } from "../components/pager.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { Timestamp } from "../components/timestamp.tsx";
import {
  newestFirst,
  parseTimeline,
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
  // The hub's live events: its panels (and the timeline) refetch what an event changed.
  const pulse = useHubEventPulse(id);
  const [sent, setSent] = useState(0);
  const [deleted, setDeleted] = useState<{ serial: string; result: HubDeletionResult } | null>(null);
  useEffect(() => {
    if (pulse.count > 0 && !deleted) reexecute({ requestPolicy: "network-only" });
  }, [pulse.count, deleted, reexecute]);

  if (deleted) return <DeletedHubSummary serial={deleted.serial} result={deleted.result} />;

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
        <Detail label="Status" testId="hub-status">
          {hub.status}
        </Detail>
        <Detail label="Hub id">
          <code>{hub.id}</code>
        </Detail>
        <Detail label="Serial">{hub.serial}</Detail>
        <Detail label="Model">
          {hub.model}
          {hub.vendorName ? ` (${hub.vendorName})` : ""}
        </Detail>
        <Detail label="AWS IoT Thing">
          <code>{hub.thingName}</code>
        </Detail>
        <Detail label="Organization">
          {hub.orgId ? <OrgName id={hub.orgId} org={hub.organization} /> : "Not claimed"}
        </Detail>
        <Detail label="Site">
          {hub.siteId ?? "—"}
          {hub.isPrimary ? " (primary)" : ""}
        </Detail>
        <Detail label="Claimed">
          <Timestamp ms={hub.claimedAt} />
        </Detail>
        <Detail label="Provisioned">
          <Timestamp ms={hub.provisionedAt} />
          {hub.provisionedByOrgId ? (
            <>
              {" "}
              by <OrgName id={hub.provisionedByOrgId} org={hub.provisionedByOrganization} />
            </>
          ) : (
            ""
          )}
        </Detail>
        <Detail label="Version">{hub.version}</Detail>
      </dl>
      <HubStatusPanel hubId={hub.id} pulse={pulse} />
      <HubActions hub={hub} onDone={() => reexecute({ requestPolicy: "network-only" })} />
      <CommandPanel hubId={hub.id} onSent={() => setSent((n) => n + 1)} />
      <CommandList hubId={hub.id} pulse={pulse} sent={sent} />
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline (newest first)</h2>
        {events.length === 0 ? (
          <p className="empty">No events on this page.</p>
        ) : (
          <EventList events={events} />
        )}
        <Pager
          label="Timeline pages"
          go={setParams}
          back={{ label: "← Newer events", to: neighbours.newer ? timelineParams(neighbours.newer) : null }}
          forward={{
            label: "Older events →",
            to: neighbours.older ? timelineParams(neighbours.older) : null,
          }}
        />
      </section>
      <DeleteHubSection
        hub={hub}
        onDeleted={(deletion) => setDeleted({ serial: hub.serial, result: deletion })}
      />
    </>
  );
}
