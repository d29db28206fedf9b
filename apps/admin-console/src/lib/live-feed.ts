/**
 * Follows the global event log from the gateway's `events` feed (log order): first the latest
 * `initial` events, then every page after the last cursor seen. The cursor is the only state, so
 * pausing, a dropped connection or a gateway restart resume exactly where the feed was: no gap and
 * no duplicate. Errors back off (1 s, 2 s, … up to 15 s); an authentication or permission failure
 * stops the feed (retrying cannot help).
 */

export type FeedPage<E> = {
  readonly events: readonly { readonly cursor: string; readonly event: E }[];
  readonly hasNextPage: boolean;
};

export type FeedRequest = { readonly after: string | null; readonly initial: boolean };

export type FeedStatus = "connecting" | "live" | "paused" | "reconnecting" | "stopped";

export type FeedOptions<E> = {
  readonly fetchPage: (request: FeedRequest) => Promise<FeedPage<E>>;
  readonly onEvents: (events: readonly E[]) => void;
  readonly onStatus: (status: FeedStatus, detail?: unknown) => void;
  /** A failure that retrying cannot mend (401/403): the feed stops. */
  readonly isFatal?: (error: unknown) => boolean;
  readonly intervalMs?: number;
  readonly maxBackoffMs?: number;
  readonly setTimer?: (run: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
};

export type Feed = {
  pause(): void;
  resume(): void;
  stop(): void;
  /** The last cursor delivered (null before the first page). */
  readonly cursor: string | null;
};

export function backoffMs(failures: number, maxMs = 15_000): number {
  return Math.min(maxMs, 1000 * 2 ** Math.max(0, failures - 1));
}

export function followFeed<E>(options: FeedOptions<E>): Feed {
  const interval = options.intervalMs ?? 1000;
  const setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  let cursor: string | null = null;
  let started = false;
  let paused = false;
  let stopped = false;
  let failures = 0;
  let timer: unknown = null;
  let inFlight = false;

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
    try {
      const page = await options.fetchPage({ after: cursor, initial: !started });
      if (stopped) return;
      started = true;
      failures = 0;
      const last = page.events.at(-1);
      if (last) cursor = last.cursor;
      if (page.events.length > 0) options.onEvents(page.events.map((item) => item.event));
      if (!paused) options.onStatus("live");
      inFlight = false;
      schedule(page.hasNextPage ? 0 : interval);
    } catch (error) {
      inFlight = false;
      if (stopped) return;
      if (options.isFatal?.(error)) {
        stopped = true;
        options.onStatus("stopped", error);
        return;
      }
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
    get cursor() {
      return cursor;
    },
  };
}
