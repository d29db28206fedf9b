import { graphql } from "../graphql.ts";

/** The overview page's one query: every count it shows, from one `fleetOverview` call. */
export const FleetOverviewQuery = graphql(`
  query ConsoleFleetOverview {
    fleetOverview {
      hubs {
        total
        online
        offline
        byStatus {
          status
          count
        }
        provisionedPerDay {
          date
          start
          count
        }
      }
      commandsByState {
        state
        count
      }
      deliveries {
        delivered
        pending
        dead
        oldestPendingAt
      }
    }
  }
`);

const UNITS = [
  { ms: 86_400_000, label: "d" },
  { ms: 3_600_000, label: "h" },
  { ms: 60_000, label: "min" },
] as const;

/** How long ago `since` was, in the two largest units ("3 d 4 h", "5 min", "under a minute"). */
export function formatAge(since: number, now: number): string {
  let rest = Math.max(0, now - since);
  const parts: string[] = [];
  for (const unit of UNITS) {
    const whole = Math.floor(rest / unit.ms);
    if (whole > 0 || parts.length > 0) parts.push(`${whole} ${unit.label}`);
    rest -= whole * unit.ms;
    if (parts.length === 2) break;
  }
  const shown = parts.filter((part, i) => i === 0 || !part.startsWith("0 "));
  return shown.length ? shown.join(" ") : "under a minute";
}
