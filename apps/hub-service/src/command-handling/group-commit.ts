import { GroupConflictError, type NewStream, type RecordedEvent } from "../event-store/event-store.ts";
import { type CallerWait, checkCaller } from "./handle-command.ts";

export type GroupCommitOptions = {
  /** Writes one group in one statement: the stored events by stream id (EventStore.appendNewStreams). */
  readonly write: (streams: readonly NewStream[]) => Promise<Map<string, RecordedEvent>>;
  /** Most streams per statement. */
  readonly maxRows?: number;
  /** Statements in flight at once; the next group forms while they run. */
  readonly maxInFlight?: number;
  /** Called once per statement with its number of rows (metrics). */
  readonly onGroup?: (rows: number) => void;
};

/** An entry still queued when its caller's deadline passes, or its caller disconnects, is refused: nothing written. */
export type GroupEntry = NewStream &
  CallerWait & {
    /**
     * What the entry may not share with another entry of its group, or of a statement in flight:
     * its stream id and its unique read-model values (a serial, a thing name). An entry sharing one
     * waits for the next group, so statements of this process never race each other and same-key
     * entries are written in arrival order.
     */
    readonly keys: readonly string[];
  };

export type GroupCommit = {
  /**
   * Appends a new stream's first event together with whatever else is ready: the stored event,
   * or null when the stream was not written (not empty, or a constraint objected) and the caller
   * must read and decide it alone.
   */
  append(entry: GroupEntry): Promise<RecordedEvent | null>;
  /** Entries waiting for a statement. */
  queued(): number;
};

type Waiting = {
  readonly entry: GroupEntry;
  readonly resolve: (event: RecordedEvent | null) => void;
  readonly reject: (error: unknown) => void;
};

/**
 * Group commit: first writes that are ready at the same time (items of a batch, single calls from
 * concurrent requests) share one statement and one commit. Nothing waits for a timer: an idle
 * committer sends what arrived in the current turn of the event loop at once; while a statement
 * is in flight, later entries queue and go together when it returns. The cost of a statement and
 * a commit is thereby spread over every hub that was waiting for it.
 */
export function createGroupCommit(options: GroupCommitOptions): GroupCommit {
  const maxRows = options.maxRows ?? 500;
  const maxInFlight = options.maxInFlight ?? 1;
  const queue: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;

  const schedule = () => {
    if (scheduled || inFlight >= maxInFlight || queue.length === 0) return;
    scheduled = true;
    // After the current I/O phase: entries made ready by the same batch of answers travel together.
    setImmediate(() => {
      scheduled = false;
      while (inFlight < maxInFlight && queue.length > 0) void flush();
    });
  };

  /** Keys of the entries in statements now in flight: an entry sharing one waits for them. */
  const inFlightKeys = new Set<string>();

  function takeGroup(): Waiting[] {
    const group: Waiting[] = [];
    const later: Waiting[] = [];
    const taken = inFlightKeys;
    const now = Date.now();
    while (queue.length > 0 && group.length < maxRows) {
      const waiting = queue.shift() as Waiting;
      try {
        checkCaller(waiting.entry, now);
      } catch (error) {
        waiting.reject(error);
        continue;
      }
      if (waiting.entry.keys.some((key) => taken.has(key))) {
        later.push(waiting);
        continue;
      }
      for (const key of waiting.entry.keys) taken.add(key);
      group.push(waiting);
    }
    queue.unshift(...later);
    return group;
  }

  async function flush(): Promise<void> {
    const group = takeGroup();
    if (group.length === 0) return;
    inFlight++;
    try {
      options.onGroup?.(group.length);
      const stored = await options.write(group.map(({ entry }) => entry));
      for (const waiting of group) waiting.resolve(stored.get(waiting.entry.streamId) ?? null);
    } catch (error) {
      // Lost as a whole (nothing written): each entry is decided alone. Anything else is theirs too.
      for (const waiting of group) {
        if (error instanceof GroupConflictError) waiting.resolve(null);
        else waiting.reject(error);
      }
    } finally {
      for (const { entry } of group) for (const key of entry.keys) inFlightKeys.delete(key);
      inFlight--;
      schedule();
    }
  }

  return {
    queued: () => queue.length,
    append(entry) {
      return new Promise((resolve, reject) => {
        queue.push({ entry, resolve, reject });
        schedule();
      });
    },
  };
}
