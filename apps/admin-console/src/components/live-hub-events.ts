import { useEffect, useState } from "react";
import { followFeed } from "../lib/live-feed.ts";
import { hubEventStream, isFatalStreamError } from "../lib/sse-client.ts";
import { useSession } from "../session.tsx";

/** What the hub page knows of a hub's live events: how many arrived, and the latest one's type. */
export type HubEventPulse = {
  /** Changes with every event and every (re)connection: what the panels refetch on. */
  readonly count: number;
  readonly lastType: string | null;
  readonly live: boolean;
};

/**
 * Follows one hub's events (`hubEvents(filter: {hubId})`, from now on, resumed after a drop) so
 * the hub page's panels refetch what an event changed, without polling.
 */
export function useHubEventPulse(hubId: string): HubEventPulse {
  const { token } = useSession();
  const [pulse, setPulse] = useState<HubEventPulse>({ count: 0, lastType: null, live: false });
  useEffect(() => {
    const feed = followFeed({
      open: hubEventStream(token ?? "", { hubId }),
      positionOf: (event) => BigInt(event.position),
      onEvents: (events) =>
        setPulse((previous) => ({
          count: previous.count + events.length,
          lastType: events.at(-1)?.type ?? previous.lastType,
          live: previous.live,
        })),
      // A (re)connection may follow missed changes: it counts as one too.
      onStatus: (status) =>
        setPulse((previous) =>
          status === "live"
            ? { ...previous, count: previous.count + 1, live: true }
            : { ...previous, live: false },
        ),
      isFatal: isFatalStreamError,
    });
    return () => feed.stop();
  }, [hubId, token]);
  return pulse;
}
