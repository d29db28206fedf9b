import { formatTime } from "../lib/time.ts";

/** A time in the viewer's zone; the exact epoch milliseconds on hover (and for screen readers). */
export function Timestamp({ ms }: { ms: number | null | undefined }) {
  if (ms === null || ms === undefined) return <span className="muted">—</span>;
  return (
    <time dateTime={new Date(ms).toISOString()} title={`${ms} (epoch ms)`} data-epoch-ms={ms}>
      {formatTime(ms)}
    </time>
  );
}
