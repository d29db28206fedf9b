import type { CombinedError } from "@urql/core";
import { apiFailure } from "../lib/messages.ts";
import { useSession } from "../session.tsx";

/** An API failure in words, with the way back when the token is the problem. */
export function ApiError({ error, onRetry }: { error: CombinedError; onRetry?: () => void }) {
  const { signOut } = useSession();
  const failure = apiFailure(error);
  return (
    <div className="notice notice-error" role="alert" data-failure={failure.kind}>
      <p>{failure.text}</p>
      {failure.kind === "unauthenticated" || failure.kind === "forbidden" ? (
        <button type="button" onClick={() => signOut(failure.text)}>
          Sign in with another token
        </button>
      ) : onRetry ? (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}
