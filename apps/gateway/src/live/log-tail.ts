import { AsyncResource } from "node:async_hooks";
import {
  compareCursors,
  type HubEventType,
  LOG_START,
  type LogCursor,
  type LogEvent,
  type RequestContext,
  UnavailableError,
} from "@hub/shared";
import type { Logger } from "pino";
import type { HubService } from "../backend.ts";

export type LogReadQuery = {
  readonly after?: LogCursor | undefined;
  readonly afterPosition?: string | undefined;
  readonly limit: number;
  readonly hubId?: string | undefined;
  readonly types?: readonly HubEventType[] | undefined;
};

export type LogPage = { readonly events: LogEvent[]; readonly cursor: LogCursor };

/** What reads the log: hub-service's `events.read` (a test gives a fake of this one procedure). */
export type LogReader = Pick<HubService, "events"> | LogReaderFake;
type LogReaderFake = {
  readonly events: {
    readonly read: { query(input: { caller?: RequestContext } & LogReadQuery): Promise<LogPage> };
  };
};

/**
 * The event log after a cursor (or after the last position a client received), in the order
 * that skips nothing; scoped to `caller`, or unscoped as the gateway itself (undefined).
 */
export function readLog(
  reader: LogReader,
  caller: RequestContext | undefined,
  query: LogReadQuery,
): Promise<LogPage> {
  return (reader as LogReaderFake).events.read.query({
    ...(caller ? { caller } : {}),
    ...(query.after ? { after: query.after } : {}),
    ...(query.afterPosition !== undefined ? { afterPosition: query.afterPosition } : {}),
    limit: query.limit,
    ...(query.hubId ? { hubId: query.hubId } : {}),
    ...(query.types ? { types: [...query.types] } : {}),
  });
}

/** Events per read of the log (the tail's and each subscriber's replay). */
export const LOG_PAGE_SIZE = 500;

/** Above every position (int8's largest): resolves to the cursor of the log's last position. */
const LAST_POSITION = "9223372036854775807";

export type TailListener = {
  /** A page of the log, in order. Called synchronously by the reader: must neither throw nor block. */
  events(events: readonly LogEvent[]): void;
  /** The tail stopped for good (the gateway is shutting down): no further events will come. */
  closed(): void;
};

export type TailAttachment = {
  /**
   * The cursor after which the listener receives every event of the log, in order: the tail's
   * position when the listener attached (always within the log's readable prefix). Rejects with
   * UnavailableError when the tail could not start or is closed (the listener is then detached),
   * and with an Error when the listener detaches before that.
   */
  readonly from: Promise<LogCursor>;
  detach(): void;
};

/** The gateway's one reader of the event log, shared by every live-feed subscriber. */
export type LogTail = {
  attach(listener: TailListener): TailAttachment;
  /** Listeners attached now. */
  readonly listeners: number;
  /** Whether the reader runs (it does exactly while listeners are attached). */
  readonly running: boolean;
  /** Stops the reader and tells every listener (shutdown); later attachments are refused. */
  close(): void;
};

export type LogTailOptions = {
  readonly hubService: LogReader;
  readonly logger: Logger;
  readonly pageSize?: number;
  /** The wait after a page that was not full, doubled while the log stays idle, up to `max`. */
  readonly idleMs?: { readonly first: number; readonly max: number };
  readonly errorRetryMs?: number;
};

type Run = {
  stopped: boolean;
  /** Undefined until the reader has found where the log ends. */
  cursor: LogCursor | undefined;
  /** Listeners that attached before that, with their `from`. */
  readonly waiting: Map<TailListener, { resolve(cursor: LogCursor): void; reject(error: Error): void }>;
  timer: NodeJS.Timeout | undefined;
  wake: (() => void) | undefined;
};

const shuttingDown = () =>
  new UnavailableError("The gateway is shutting down: subscribe again, with after, to resume");

/** A log error's message, for the log line; never its request (which carries no secret either). */
const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * One log reader per gateway process, started by the first subscriber and stopped when the last
 * leaves: it polls hub-service's `events.read` as the gateway itself (every event; each listener
 * applies its subscriber's filter and visibility) and hands each page to the listeners in order.
 *
 * Where it starts: at the end of what is readable when it starts, found in one or two reads
 * instead of paging through the whole log. Paging from LOG_START would be exact but linear in the
 * log's size; starting from one subscriber's cursor would replay that subscriber's backlog to all.
 * The end is the cursor of the event with the highest position once its transaction and all older
 * ones have ended (then every event at or below that cursor is readable and every event not yet
 * readable lies above it), plus whatever readable events follow it. A start cursor beyond the
 * readable prefix would be wrong: a subscriber whose replay stopped below it would never get the
 * events in between. Each subscriber replays from its own cursor (or from this one), so the tail
 * never needs to go back (see feed-merge.ts).
 */
export function createLogTail(options: LogTailOptions): LogTail {
  const { hubService, logger } = options;
  const pageSize = options.pageSize ?? LOG_PAGE_SIZE;
  const idleMs = options.idleMs ?? { first: 25, max: 250 };
  const errorRetryMs = options.errorRetryMs ?? 1000;
  // Made with the tail (at start-up, outside any request): the reader runs in this context, not
  // in the first subscriber's, so its hub-service calls are not that request's children in traces
  // and do not run on that request's budget (request-scope.ts) for as long as the tail lives.
  const outside = new AsyncResource("hub.log-tail");
  const listeners = new Set<TailListener>();
  let run: Run | undefined;
  let closed = false;

  const sleep = (current: Run, ms: number) =>
    new Promise<void>((resolve) => {
      current.wake = resolve;
      current.timer = setTimeout(resolve, ms);
    });

  function stop(current: Run): void {
    current.stopped = true;
    clearTimeout(current.timer);
    current.wake?.();
    if (run === current) run = undefined;
  }

  function broadcast(events: readonly LogEvent[]): void {
    // A copy: a listener may detach while the page goes out (a subscriber that overflows does).
    for (const listener of [...listeners]) {
      try {
        listener.events(events);
      } catch (error) {
        logger.error({ reason: reasonOf(error) }, "live feed: a subscriber failed to take events");
      }
    }
  }

  /** The readable end of the log (see above); waits while the last position's transaction settles. */
  async function findEnd(current: Run): Promise<LogCursor> {
    let page = await readLog(hubService, undefined, { afterPosition: LAST_POSITION, limit: pageSize });
    let wait = idleMs.first;
    while (page.events.length === 0 && compareCursors(page.cursor, LOG_START) !== 0 && !current.stopped) {
      // Read from just below the last position's event: it comes back once it is readable.
      const position = BigInt(page.cursor.position);
      const probe = await readLog(hubService, undefined, {
        after: { tx: page.cursor.tx, position: String(position - 1n) },
        limit: pageSize,
      });
      if (probe.events.length > 0) {
        page = probe;
        break;
      }
      await sleep(current, wait);
      wait = Math.min(wait * 2, idleMs.max);
    }
    while (page.events.length >= pageSize && !current.stopped) {
      page = await readLog(hubService, undefined, { after: page.cursor, limit: pageSize });
    }
    return page.cursor;
  }

  async function read(current: Run): Promise<void> {
    try {
      current.cursor = await findEnd(current);
    } catch (error) {
      if (current.stopped) return;
      logger.warn({ reason: reasonOf(error) }, "live feed: cannot find the end of the event log");
      const failure =
        error instanceof UnavailableError
          ? error
          : new UnavailableError("The event log cannot be read right now. Please retry later");
      // Everyone attached so far is still waiting for its `from`: they fail, and the next
      // subscriber starts a new reader.
      for (const [listener, waiting] of current.waiting) {
        listeners.delete(listener);
        waiting.reject(failure);
      }
      current.waiting.clear();
      stop(current);
      return;
    }
    if (current.stopped) return;
    for (const waiting of current.waiting.values()) waiting.resolve(current.cursor);
    current.waiting.clear();

    let idle = 0;
    let failures = 0;
    while (!current.stopped) {
      let delay: number;
      try {
        const page = await readLog(hubService, undefined, { after: current.cursor, limit: pageSize });
        if (current.stopped) return;
        if (failures > 0) {
          logger.info({ failures }, "live feed: reading the event log again");
          failures = 0;
        }
        // The cursor moves and the page goes out in one synchronous step: a listener attaching
        // in between cannot exist, so its `from` is exactly what it then receives after.
        current.cursor = page.cursor;
        if (page.events.length > 0) broadcast(page.events);
        if (page.events.length >= pageSize) idle = 0;
        else idle = page.events.length > 0 || idle === 0 ? idleMs.first : Math.min(idle * 2, idleMs.max);
        delay = idle;
      } catch (error) {
        if (current.stopped) return;
        // Once per outage, not once a second; the cursor stays, so nothing is skipped meanwhile.
        if (failures === 0)
          logger.warn({ reason: reasonOf(error) }, "live feed: reading the event log failed");
        failures += 1;
        delay = errorRetryMs;
      }
      if (delay > 0) await sleep(current, delay);
    }
  }

  function start(): Run {
    const current: Run = {
      stopped: false,
      cursor: undefined,
      waiting: new Map(),
      timer: undefined,
      wake: undefined,
    };
    run = current;
    outside.runInAsyncScope(() => {
      read(current).catch((error: unknown) => {
        // read() handles its own failures; this is a bug, and the tail must not die silently.
        logger.error({ reason: reasonOf(error) }, "live feed: the log reader stopped unexpectedly");
        stop(current);
      });
    });
    return current;
  }

  function detach(listener: TailListener): void {
    if (!listeners.delete(listener)) return;
    // Whoever awaits this `from` must not wait forever for a start it no longer takes part in.
    const waiting = run?.waiting.get(listener);
    run?.waiting.delete(listener);
    waiting?.reject(new Error("detached before the log tail started"));
    if (listeners.size === 0 && run) stop(run);
  }

  return {
    attach(listener) {
      if (closed) return { from: Promise.reject(shuttingDown()), detach: () => undefined };
      listeners.add(listener);
      const current = run ?? start();
      const from =
        current.cursor !== undefined
          ? Promise.resolve(current.cursor)
          : new Promise<LogCursor>((resolve, reject) => current.waiting.set(listener, { resolve, reject }));
      return { from, detach: () => detach(listener) };
    },
    get listeners() {
      return listeners.size;
    },
    get running() {
      return run !== undefined;
    },
    close() {
      if (closed) return;
      closed = true;
      const current = run;
      if (current) {
        for (const waiting of current.waiting.values()) waiting.reject(shuttingDown());
        current.waiting.clear();
        stop(current);
      }
      const all = [...listeners];
      listeners.clear();
      for (const listener of all) listener.closed();
    },
  };
}
