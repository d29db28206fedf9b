import { ageText } from "../lib/org-messages.ts";
import { Timestamp } from "./timestamp.tsx";

type Stats = {
  readonly delivered: number;
  readonly pending: number;
  readonly dead: number;
  readonly attempts: number;
  readonly lagPositions: number;
  readonly oldestPendingAt: number | null;
} | null;

/** A subscription's deliveries by status and how far behind it is, in one line of words. */
export function WebhookStats({ stats, failingSince }: { stats: Stats; failingSince: number | null }) {
  if (!stats) return <span className="muted">—</span>;
  return (
    <span className="webhook-stats" data-testid="webhook-stats">
      <span data-stat="delivered">{stats.delivered} delivered</span>,{" "}
      <span data-stat="pending">{stats.pending} pending</span>,{" "}
      <span data-stat="dead">{stats.dead} dead</span>, {stats.attempts} attempts
      {stats.lagPositions > 0 ? `; ${stats.lagPositions} events behind` : ""}
      {stats.oldestPendingAt !== null ? (
        <>; oldest pending for {ageText(Date.now() - stats.oldestPendingAt)}</>
      ) : null}
      {failingSince !== null ? (
        <>
          ; <strong>failing since</strong> <Timestamp ms={failingSince} />
        </>
      ) : null}
    </span>
  );
}
