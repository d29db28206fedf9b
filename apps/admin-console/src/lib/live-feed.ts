/**
 * Follows the global event log from the gateway's `events` feed (log order): first the latest
 * `initial` events, then, once a second, everything after an anchor. The feed's cursor is the only
 * state, so pausing, a dropped connection or a gateway restart resume where the feed was.
 *
 * Positions are handed out when a transaction writes and become visible when it commits, so a
 * lower position can appear after a higher one was already shown (two commands committing in the
 * other order). Each poll therefore re-reads from an anchor that has settled — the newest event
 * first seen at least `settleMs` ago — and shows only positions it has not shown yet. An event
 * whose transaction stayed open longer than `settleMs`, or that is more than `maxReread` events
 * behind the head, can still be missed: the console is a window on the log, not its consumer.
 *
 * Errors back off (1 s, 2 s, … up to 15 s); an authentication or permission failure stops the
 * feed (retrying cannot help). A page that arrives after `pause()` is dropped unseen and fetched
 * again on `resume()`.
 */

export type FeedPage<E> = {
  readonly events: readonly { readonly cursor: string; readonly event: E }[];
  readonly hasNextPage: boolean;
};

export type FeedRequest = { readonly after: string | null; readonly initial: boolean };

export type FeedStatus = "connecting" | "live" | "paused" | "reconnecting" | "stopped";

export type FeedOptions<E> = {
  readonly fetchPage: (request: FeedRequest) => Promise<FeedPage<E>>;
  /** The event's log position (unique, ordered). */
  readonly positionOf: (event: E) => bigint;
  /** New events, in log order within a page. */
  readonly onEvents: (events: readonly E[]) => void;
  readonly onStatus: (status: FeedStatus, detail?: unknown) => void;
  /** A failure that retrying cannot mend (401/403): the feed stops. */
  readonly isFatal?: (error: unknown) => boolean;
  readonly intervalMs?: number;
  readonly maxBackoffMs?: number;
  /** How long a shown event may still be preceded by a later-committing one (default 10 s). */
  readonly settleMs?: number;
  /** At most this many shown events are read again per poll (default 300). */
  readonly maxReread?: number;
  readonly now?: () => number;
  readonly setTimer?: (run: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
};

export type Feed = {
  pause(): void;
  resume(): void;
  stop(): void;
};

export function backoffMs(failures: number, maxMs = 15_000): number {
  return Math.min(maxMs, 1000 * 2 ** Math.max(0, failures - 1));
}

type Seen = { readonly cursor: string; readonly position: bigint; readonly seenAt: number };

export function followFeed<E>(options: FeedOptions<E>): Feed {
  const interval = options.intervalMs ?? 1000;
  const settleMs = options.settleMs ?? 10_000;
  const maxReread = options.maxReread ?? 300;
  const now = options.now ?? (() => Date.now());
  const setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  /** Events shown at or after the anchor, by position. */
  let recent: Seen[] = [];
  let started = false;
  let paused = false;
  let stopped = false;
  let failures = 0;
  let timer: unknown = null;
  let inFlight = false;
  /** Set while a poll's pages continue past its first (hasNextPage). */
  let continueAfter: string | null = null;

  /** The settled event to re-read after (null: from the start of the log). */
  function anchor(): Seen | null {
    const settledBefore = now() - settleMs;
    let chosen: Seen | null = null;
    for (const entry of recent) if (entry.seenAt <= settledBefore) chosen = entry;
    const floor = recent.length > maxReread ? recent[recent.length - 1 - maxReread] : undefined;
    if (floor && (!chosen || floor.position > chosen.position)) chosen = floor;
    return chosen ?? recent[0] ?? null;
  }

  function remember(cursor: string, position: bigint, seenAt: number) {
    let i = recent.length;
    while (i > 0 && (recent[i - 1] as Seen).position > position) i -= 1;
    recent.splice(i, 0, { cursor, position, seenAt });
  }

  function schedule(ms: number) {
    if (stopped || paused) return;
    timer = setTimer(() => {
      timer = null;
      void poll();
    }, ms);
  }

  async function poll() {
    if (stopped || paused || inFlight) return;
    inFlight = true;
    const from = continueAfter ?? (started ? (anchor()?.cursor ?? null) : null);
    try {
      const page = await options.fetchPage({ after: from, initial: !started });
      inFlight = false;
      if (stopped || paused) return;
      started = true;
      failures = 0;
      const seenAt = now();
      const fresh: E[] = [];
      for (const { cursor, event } of page.events) {
        const position = options.positionOf(event);
        if (recent.some((entry) => entry.position === position)) continue;
        remember(cursor, position, seenAt);
        fresh.push(event);
      }
      const current = anchor();
      if (current) recent = recent.filter((entry) => entry.position >= current.position);
      if (fresh.length > 0) options.onEvents(fresh);
      options.onStatus("live");
      continueAfter = page.hasNextPage ? (page.events.at(-1)?.cursor ?? null) : null;
      schedule(continueAfter ? 0 : interval);
    } catch (error) {
      inFlight = false;
      if (stopped) return;
      if (options.isFatal?.(error)) {
        stopped = true;
        options.onStatus("stopped", error);
        return;
      }
      if (paused) return;
      failures += 1;
      options.onStatus("reconnecting", error);
      schedule(backoffMs(failures, options.maxBackoffMs));
    }
  }

  options.onStatus("connecting");
  void poll();

  return {
    pause() {
      if (stopped || paused) return;
      paused = true;
      if (timer !== null) clearTimer(timer);
      timer = null;
      options.onStatus("paused");
    },
    resume() {
      if (stopped || !paused) return;
      paused = false;
      options.onStatus(started ? "live" : "connecting");
      void poll();
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimer(timer);
      timer = null;
    },
  };
}
