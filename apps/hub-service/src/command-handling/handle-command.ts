import { UnavailableError } from "@hub/shared";
import {
  type AppendResult,
  ConcurrencyError,
  type EventStore,
  type JsonObject,
  type NewEvent,
  type RecordedEvent,
} from "../event-store/event-store.ts";

/** What a decider returns: the new events (none: the command's effect already holds). */
export type DecidedEvents = readonly { readonly type: string; readonly data: object }[];

export type CommandHandlerOptions<State> = {
  readonly store: EventStore;
  readonly initialState: () => State;
  readonly fold: (events: readonly RecordedEvent[]) => State;
  /** How often a lost race is re-read and re-decided before giving up. */
  readonly maxConcurrencyRetries?: number;
  /**
   * Who receives each event (stored with it, never changed): from the state before it, with the
   * state after it for the next event of the same decision.
   */
  readonly recipients?: (
    state: State,
    event: Omit<NewEvent, "orgIds">,
  ) => { readonly orgIds: readonly string[]; readonly after: State };
};

/**
 * How long the caller waits: past `deadline` (epoch ms, this process' clock) or once `signal` has
 * aborted (the caller disconnected) nobody will read the answer, so nothing is started or written.
 */
export type CallerWait = {
  readonly deadline?: number | undefined;
  readonly signal?: AbortSignal | undefined;
};

export type HandleOptions = CallerWait & {
  /** Recorded with every event: actor, organization, request id, correlation, source. */
  readonly metadata: JsonObject;
  /**
   * Decide on the empty state and append at version 0 before reading anything (one statement
   * for the common first write, e.g. a hub provisioned once); when the stream is not empty the
   * version guard writes nothing and the pipeline reads and decides as usual. `true`: the store's
   * own guarded append; a function: another writer of first events (a group commit), answering
   * null when it wrote nothing.
   */
  readonly appendFirst?: boolean | FirstWriter;
};

/** Writes a new stream's first events, or answers null (the stream is not new, or a constraint objected). */
export type FirstWriter = (streamId: string, events: readonly NewEvent[]) => Promise<AppendResult | null>;

/** Why nobody waits for a call's answer any more, if nobody does. */
export function callerGone(wait: CallerWait, now = Date.now()): "deadline" | "disconnected" | undefined {
  if (wait.deadline !== undefined && now >= wait.deadline) return "deadline";
  if (wait.signal?.aborted) return "disconnected";
  return undefined;
}

/** The error for work whose caller has gone: nothing has been written when it is thrown. */
export function callerGoneError(gone: "deadline" | "disconnected"): UnavailableError {
  return gone === "deadline"
    ? new UnavailableError(
        "The caller's deadline passed before the command could complete; nothing was written",
        1,
      )
    : new UnavailableError(
        "The caller disconnected before the command could complete; nothing was written",
        1,
      );
}

/** Refuses work the caller no longer waits for. */
export function checkCaller(wait: CallerWait, now = Date.now()): void {
  const gone = callerGone(wait, now);
  if (gone) throw callerGoneError(gone);
}

export type HandleResult<State> = {
  /** The stream's version after the command. */
  readonly version: number;
  /** The appended events; empty for an idempotent no-op. */
  readonly events: readonly RecordedEvent[];
  /** The state the decision was made on. */
  readonly state: State;
};

/**
 * The one command pipeline (Emmett's `handleCommand`): read the stream, fold it, decide, append
 * with the expected version; on a version conflict re-read and re-decide (bounded). `decide` may
 * be async: I/O preconditions (a registry lookup) run inside it, after the read and before the
 * pure decision, so a command rejected or satisfied by the state need not wait on them.
 */
export async function handleCommand<State>(
  options: CommandHandlerOptions<State>,
  streamId: string,
  decide: (state: State) => DecidedEvents | Promise<DecidedEvents>,
  handle: HandleOptions,
): Promise<HandleResult<State>> {
  const { store } = options;
  const toNew = (state: State, events: DecidedEvents): NewEvent[] => {
    let current = state;
    return events.map((decided) => {
      const event = { type: decided.type, data: decided.data as JsonObject, metadata: handle.metadata };
      if (!options.recipients) return event;
      const { orgIds, after } = options.recipients(current, event);
      current = after;
      return { ...event, orgIds };
    });
  };

  if (handle.appendFirst) {
    const state = options.initialState();
    const events = await decide(state);
    if (events.length > 0) {
      checkCaller(handle);
      if (typeof handle.appendFirst === "function") {
        const appended = await handle.appendFirst(streamId, toNew(state, events));
        if (appended) return { version: appended.nextVersion, events: appended.events, state };
      } else {
        try {
          const appended = await store.appendToStream(streamId, 0, toNew(state, events));
          return { version: appended.nextVersion, events: appended.events, state };
        } catch (error) {
          if (!(error instanceof ConcurrencyError)) throw error;
        }
      }
    }
  }

  const attempts = (options.maxConcurrencyRetries ?? 5) + 1;
  for (let attempt = 1; ; attempt++) {
    const stream = await store.readStream(streamId);
    const state = options.fold(stream.events);
    const events = await decide(state);
    if (events.length === 0) return { version: stream.version, events: [], state };
    checkCaller(handle);
    try {
      const appended = await store.appendToStream(streamId, stream.version, toNew(state, events));
      return { version: appended.nextVersion, events: appended.events, state };
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      if (attempt >= attempts) {
        throw new UnavailableError("The hub is being changed concurrently. Please retry", 1);
      }
    }
  }
}
