/**
 * Follows the event log over the gateway's `hubEvents` subscription: first an optional page of
 * history, then the stream from the newest position shown. The last position received is the only
 * state: a dropped connection (a gateway restart, a network blip) and a pause both resume with
 * `after` = that position, which the gateway answers with every event after it, none missing and
 * none twice. Positions already delivered are dropped anyway (a guard, should a replay overlap).
 *
 * A failed connection backs off (1 s, 2 s, … up to 15 s); an authentication or permission failure
 * stops the feed (retrying cannot help). Events that arrive after `pause()` are dropped unseen and
 * read again on `resume()`.
 */

export type FeedStatus = "connecting" | "live" | "paused" | "reconnecting" | "stopped";

/** What one connection reports: an event, that it is established, or that it ended (and why). */
export type StreamSink<E> = {
  next(event: E): void;
  connected(): void;
  /** The stream is over: an error, or a normal end (the gateway closing it), which is resumed too. */
  end(error?: unknown): void;
};

/** Opens one connection from `after` (null: from now on); returns what closes it. */
export type OpenStream<E> = (after: string | null, sink: StreamSink<E>) => () => void;

export type FeedOptions<E> = {
  /** History shown before the stream (any order); its newest position is where the stream starts. */
  readonly loadInitial?: () => Promise<readonly E[]>;
  readonly open: OpenStream<E>;
  /** The event's log position (unique, ordered). */
  readonly positionOf: (event: E) => bigint;
  /** New events: the history at once, then each as it arrives. */
  readonly onEvents: (events: readonly E[]) => void;
  readonly onStatus: (status: FeedStatus, detail?: unknown) => void;
  /** A failure that retrying cannot mend (401/403): the feed stops. */
  readonly isFatal?: (error: unknown) => boolean;
  readonly maxBackoffMs?: number;
  /** Positions remembered for the duplicate guard (default 5,000). */
  readonly remember?: number;
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

export function followFeed<E>(options: FeedOptions<E>): Feed {
  const setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  const keep = options.remember ?? 5000;
  /** Delivered positions, oldest first (a Set keeps insertion order). */
  const seen = new Set<bigint>();
  /** Where the next connection resumes: the last position received (null: none yet). */
  let after: string | null = null;
  let historyLoaded = options.loadInitial === undefined;
  let paused = false;
  let stopped = false;
  let failures = 0;
  let timer: unknown = null;
  /** The open connection's closer, and a token so a stale connection's reports are ignored. */
  let close: (() => void) | null = null;
  let generation = 0;

  function deliver(events: readonly E[]): E[] {
    const fresh: E[] = [];
    for (const event of events) {
      const position = options.positionOf(event);
      if (seen.has(position)) continue;
      seen.add(position);
      fresh.push(event);
    }
    while (seen.size > keep) seen.delete(seen.values().next().value as bigint);
    return fresh;
  }

  function fail(error: unknown) {
    if (stopped || paused) return;
    if (options.isFatal?.(error)) {
      stopped = true;
      options.onStatus("stopped", error);
      return;
    }
    failures += 1;
    options.onStatus("reconnecting", error);
    timer = setTimer(
      () => {
        timer = null;
        void connect();
      },
      backoffMs(failures, options.maxBackoffMs),
    );
  }

  async function connect() {
    if (stopped || paused) return;
    if (!historyLoaded && options.loadInitial) {
      const current = ++generation;
      try {
        const history = await options.loadInitial();
        if (current !== generation || stopped || paused) return;
        historyLoaded = true;
        const fresh = deliver(history);
        let newest: bigint | null = null;
        for (const event of fresh) {
          const position = options.positionOf(event);
          if (newest === null || position > newest) newest = position;
        }
        // An empty log still starts at its beginning, so an event committed meanwhile is not lost.
        after = newest === null ? "0" : String(newest);
        if (fresh.length > 0) options.onEvents(fresh);
      } catch (error) {
        if (current === generation) fail(error);
        return;
      }
    }
    const current = ++generation;
    const mine = () => current === generation && !stopped && !paused;
    close = options.open(after, {
      next(event) {
        if (!mine()) return;
        after = String(options.positionOf(event));
        const fresh = deliver([event]);
        if (fresh.length > 0) options.onEvents(fresh);
      },
      connected() {
        if (!mine()) return;
        failures = 0;
        options.onStatus("live");
      },
      end(error) {
        if (!mine()) return;
        close = null;
        generation += 1;
        fail(error ?? new Error("the stream ended"));
      },
    });
  }

  function disconnect() {
    generation += 1;
    if (timer !== null) clearTimer(timer);
    timer = null;
    close?.();
    close = null;
  }

  options.onStatus("connecting");
  void connect();

  return {
    pause() {
      if (stopped || paused) return;
      paused = true;
      disconnect();
      options.onStatus("paused");
    },
    resume() {
      if (stopped || !paused) return;
      paused = false;
      options.onStatus("connecting");
      void connect();
    },
    stop() {
      stopped = true;
      disconnect();
    },
  };
}
