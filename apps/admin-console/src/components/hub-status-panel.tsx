import { useEffect } from "react";
import { useQuery } from "urql";
import { graphql } from "../graphql.ts";
import { ApiError, Loading } from "./api-error.tsx";
import { Detail } from "./fields.tsx";
import type { HubEventPulse } from "./live-hub-events.ts";
import { Timestamp } from "./timestamp.tsx";

export const HubLiveStatusQuery = graphql(`
  query ConsoleHubLiveStatus($id: ID!) {
    hub(id: $id) {
      id
      online
      lastSeen
      firmwareVersion
      uptimeSeconds
    }
  }
`);

/** Seconds as days, hours, minutes and seconds ("3 d 4 h 5 min 6 s"). */
export function formatUptime(seconds: number): string {
  let rest = Math.floor(seconds);
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3600],
    ["min", 60],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest} s`);
  return parts.join(" ");
}

/** Online or not, last seen, firmware and uptime: refetched when the hub's events say it changed. */
export function HubStatusPanel({ hubId, pulse }: { hubId: string; pulse: HubEventPulse }) {
  const [result, reexecute] = useQuery({ query: HubLiveStatusQuery, variables: { id: hubId } });
  useEffect(() => {
    if (pulse.count > 0) reexecute({ requestPolicy: "network-only" });
  }, [pulse.count, reexecute]);
  const hub = result.data?.hub;
  return (
    <section className="hub-status-panel" aria-labelledby="hub-status-title">
      <h2 id="hub-status-title">
        Live status{" "}
        <span className={`feed-status feed-${pulse.live ? "live" : "connecting"}`} data-live={pulse.live}>
          {pulse.live ? "Live" : "Connecting…"}
        </span>
      </h2>
      {result.error && !hub ? (
        <ApiError error={result.error} onRetry={() => reexecute({ requestPolicy: "network-only" })} />
      ) : !hub ? (
        result.fetching ? (
          <Loading what="the hub's status" />
        ) : null
      ) : (
        <dl className="details" aria-live="polite">
          <Detail label="Connection" testId="hub-online">
            <span className={`badge ${hub.online ? "badge-online" : "badge-offline"}`}>
              {hub.online ? "Online" : "Offline"}
            </span>
          </Detail>
          <Detail label="Last seen">
            <Timestamp ms={hub.lastSeen} />
          </Detail>
          <Detail label="Firmware" testId="hub-firmware">
            {hub.firmwareVersion ?? <span className="muted">Not reported yet</span>}
          </Detail>
          <Detail label="Uptime" testId="hub-uptime">
            {hub.uptimeSeconds !== null && hub.uptimeSeconds !== undefined ? (
              formatUptime(hub.uptimeSeconds)
            ) : (
              <span className="muted">Not reported yet</span>
            )}
          </Detail>
        </dl>
      )}
    </section>
  );
}
