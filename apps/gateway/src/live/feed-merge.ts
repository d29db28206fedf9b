import { compareCursors, cursorOf, type LogCursor, type LogEvent } from "@hub/shared";

/**
 * One subscriber's hand-over from its replay to the shared tail, over cursors only (no I/O).
 *
 * The subscriber attaches to the tail first, so the tail hands it every event after some cursor
 * T (its position at that moment); only then does it replay its own reads from where the client
 * resumes (or from T) until a page comes back short. The log is read below the oldest running
 * transaction, so what is readable only ever grows as a prefix of the (transaction id, position)
 * order: the last, short replay page, read after attaching, covered everything up to a point at
 * or beyond T. Everything past that point therefore comes from the tail, and everything the tail
 * brought that the replay also covered lies at or below the last replayed cursor. Emitting a tail
 * event only when its cursor is above the last one emitted (or read: a filtered page's cursor) is
 * hence exact: no gap, no duplicate.
 */
export type FeedMerge = {
  /** A page the tail read (the whole log, in order): held while replaying, queued once live. */
  live(events: readonly LogEvent[]): void;
  /** One replay page (already scoped and filtered by hub-service); `last` tells whether it was short. */
  replayed(page: { readonly events: readonly LogEvent[]; readonly cursor: LogCursor }, last: boolean): void;
  /** The next event to send, in log order. */
  take(): LogEvent | undefined;
  /** Until the replay's short page: where the next replay page continues (undefined before the first). */
  readonly cursor: LogCursor | undefined;
  readonly replaying: boolean;
  /** More than `limit` events waited (held during the replay or not yet taken): the feed must end. */
  readonly overflowed: boolean;
};

export function createFeedMerge(options: {
  /** The subscriber's filter and visibility, applied to tail events (hub-service applies them to replay pages). */
  accepts(event: LogEvent): boolean;
  limit: number;
}): FeedMerge {
  let cursor: LogCursor | undefined;
  let replaying = true;
  let overflowed = false;
  const held: LogEvent[] = [];
  const queue: LogEvent[] = [];
  let head = 0;

  const pending = () => held.length + queue.length - head;
  const overflow = () => {
    overflowed = true;
    held.length = 0;
    queue.length = 0;
    head = 0;
  };
  /** Queues `event` if it lies beyond everything queued or replayed so far. */
  const offer = (event: LogEvent) => {
    const at = cursorOf(event);
    if (cursor !== undefined && compareCursors(at, cursor) <= 0) return;
    cursor = at;
    queue.push(event);
  };

  return {
    live(events) {
      if (overflowed) return;
      for (const event of events) {
        if (!options.accepts(event)) continue;
        if (replaying) held.push(event);
        else offer(event);
      }
      if (pending() > options.limit) overflow();
    },
    replayed(page, last) {
      if (overflowed || !replaying) return;
      queue.push(...page.events);
      // The page's cursor, not its last event: an empty first page still names where the client
      // resumed (hub-service resolved its position), and nothing at or below it may come again.
      cursor = page.cursor;
      if (last) {
        replaying = false;
        for (const event of held) offer(event);
        held.length = 0;
      }
      if (pending() > options.limit) overflow();
    },
    take() {
      if (head >= queue.length) return undefined;
      const event = queue[head];
      head += 1;
      // Compacted when drained or half taken, rather than shifted each time (linear in the length).
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      } else if (head >= 1024 && head * 2 >= queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      return event;
    },
    get cursor() {
      return cursor;
    },
    get replaying() {
      return replaying;
    },
    get overflowed() {
      return overflowed;
    },
  };
}
