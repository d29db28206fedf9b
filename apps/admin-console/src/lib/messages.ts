import type { ResultOf } from "../graphql.ts";
import type { DecommissionHubMutation, ResumeHubMutation, SuspendHubMutation } from "../queries.ts";

/**
 * Typed results and API failures in words. A lifecycle command answers a union (success or one
 * of the domain errors); an API failure (sign-in, permission, network) is a GraphQL or HTTP error.
 */

export type Tone = "success" | "info" | "error";
export type Message = { readonly tone: Tone; readonly text: string };

/** What the lifecycle mutations answer, as typed from the schema (the three unions share members). */
export type CommandResult =
  | ResultOf<typeof SuspendHubMutation>["suspendHub"]
  | ResultOf<typeof ResumeHubMutation>["resumeHub"]
  | ResultOf<typeof DecommissionHubMutation>["decommissionHub"];

export type LifecycleAction = "suspend" | "resume" | "decommission";

const already: Record<LifecycleAction, string> = {
  suspend: "The hub was already suspended; nothing changed.",
  resume: "The hub was not suspended; nothing changed.",
  decommission: "The hub was already decommissioned; nothing changed.",
};

type ConflictReason = NonNullable<Extract<CommandResult, { __typename: "ConflictError" }>["reason"]>;

/** Every reason the schema names (FIELD_TAKEN is said with its field). */
const conflictReasons: Record<Exclude<ConflictReason, "FIELD_TAKEN">, string> = {
  CLAIMED_ELSEWHERE: "The hub is claimed into another organization.",
  COMMAND_ID_REUSED: "That command id was already used for another command.",
  DECOMMISSIONED: "The hub is decommissioned: it can no longer be changed.",
  DIFFERENT_PAYLOAD: "The hub already holds different details.",
  HUB_ACTIVE: "The hub is claimed and active: deleting it needs force.",
  NOT_CLAIMED: "The hub is not claimed into an organization.",
  SITE_HAS_PRIMARY: "Its site already has a primary hub.",
  SUSPENDED: "The hub is suspended: resume it first.",
};

export function commandMessage(action: LifecycleAction, result: CommandResult): Message {
  switch (result.__typename) {
    case "CommandSuccess":
      return result.event
        ? { tone: "success", text: `Done: ${result.event.type} recorded (version ${result.version}).` }
        : { tone: "info", text: already[action] };
    case "ConflictError": {
      if (result.reason === "FIELD_TAKEN") {
        return {
          tone: "error",
          text: `Conflict: ${result.field ?? "a field"} is already taken by another hub.`,
        };
      }
      const reason = result.reason ? conflictReasons[result.reason] : undefined;
      return { tone: "error", text: `Conflict: ${reason ?? result.message}` };
    }
    case "HubOfflineError":
      return {
        tone: "error",
        text: "The hub is offline (not connected to AWS IoT), and this action needs it online.",
      };
    case "NotFoundError":
      return { tone: "error", text: "No such hub: it may have been removed from your view." };
    case "UnavailableError":
      return {
        tone: "error",
        text: `The service is unavailable for the moment; try again in ${result.retryAfterSeconds} s.`,
      };
    case "ValidationError":
      return {
        tone: "error",
        text: `Not accepted: ${
          result.details.length > 0
            ? result.details.map((detail) => `${detail.field} ${detail.message}`).join("; ")
            : result.message
        }.`,
      };
  }
}

export type ApiFailureKind = "unauthenticated" | "forbidden" | "rate-limited" | "network" | "other";
export type ApiFailure = { readonly kind: ApiFailureKind; readonly text: string };

/** The shape of urql's CombinedError that matters here (kept structural for tests). */
export type ErrorLike = {
  readonly networkError?: Error | undefined;
  readonly graphQLErrors: readonly {
    readonly message: string;
    readonly extensions?: Record<string, unknown>;
  }[];
  readonly response?: { readonly status?: number } | undefined;
};

export function apiFailure(error: ErrorLike): ApiFailure {
  const codes = error.graphQLErrors.map((e) => e.extensions?.code);
  const status = error.response?.status;
  if (codes.includes("UNAUTHENTICATED") || status === 401) {
    return {
      kind: "unauthenticated",
      text: "Your sign-in is missing, invalid or has expired. Sign in again with a valid admin token.",
    };
  }
  if (codes.includes("FORBIDDEN") || status === 403) {
    return {
      kind: "forbidden",
      text: "This token may not do that: the console's pages need an admin token (role admin).",
    };
  }
  if (codes.includes("RATE_LIMITED") || status === 429) {
    return { kind: "rate-limited", text: "Too many requests: wait a moment and try again." };
  }
  if (error.networkError && error.graphQLErrors.length === 0) {
    return { kind: "network", text: "The gateway cannot be reached. Check that it is running, then retry." };
  }
  return {
    kind: "other",
    text: error.graphQLErrors[0]?.message ?? error.networkError?.message ?? "Something went wrong.",
  };
}
