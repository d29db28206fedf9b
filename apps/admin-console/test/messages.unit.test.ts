import { describe, expect, it } from "vitest";
import { apiFailure, commandMessage } from "../src/lib/messages.ts";

describe("command results in words", () => {
  it("says what a success recorded, and that a repeat changed nothing", () => {
    expect(
      commandMessage("suspend", {
        __typename: "CommandSuccess",
        version: 3,
        event: { type: "HubSuspended" },
      }),
    ).toEqual({ tone: "success", text: "Done: HubSuspended recorded (version 3)." });
    expect(commandMessage("suspend", { __typename: "CommandSuccess", version: 3, event: null })).toEqual({
      tone: "info",
      text: "The hub was already suspended; nothing changed.",
    });
    expect(commandMessage("resume", { __typename: "CommandSuccess", version: 3, event: null }).text).toMatch(
      /not suspended/,
    );
  });

  it("names the conflict's reason, the taken field, the offline hub and when to retry", () => {
    const conflict = (reason: "DECOMMISSIONED" | "FIELD_TAKEN" | null, field: string | null = null) =>
      commandMessage("resume", { __typename: "ConflictError", message: "raw message", reason, field }).text;
    expect(conflict("DECOMMISSIONED")).toBe(
      "Conflict: The hub is decommissioned: it can no longer be changed.",
    );
    expect(conflict("FIELD_TAKEN", "serial")).toBe("Conflict: serial is already taken by another hub.");
    expect(conflict(null)).toBe("Conflict: raw message");
    expect(
      commandMessage("suspend", { __typename: "HubOfflineError", message: "m", hubId: "h" }).text,
    ).toMatch(/offline/);
    expect(
      commandMessage("suspend", { __typename: "UnavailableError", message: "m", retryAfterSeconds: 7 }).text,
    ).toMatch(/try again in 7 s/);
    expect(
      commandMessage("decommission", {
        __typename: "ValidationError",
        message: "Invalid",
        details: [{ field: "reason", message: "must not be empty" }],
      }),
    ).toEqual({ tone: "error", text: "Not accepted: reason must not be empty." });
    expect(commandMessage("suspend", { __typename: "NotFoundError", message: "x" }).tone).toBe("error");
  });
});

describe("API failures in words", () => {
  it("tells a missing or expired sign-in from a refused permission, by code or HTTP status", () => {
    expect(
      apiFailure({ graphQLErrors: [{ message: "x", extensions: { code: "UNAUTHENTICATED" } }] }).kind,
    ).toBe("unauthenticated");
    expect(apiFailure({ graphQLErrors: [{ message: "x", extensions: { code: "FORBIDDEN" } }] })).toEqual({
      kind: "forbidden",
      text: "This token may not do that: the console's pages need an admin token (role admin).",
    });
    expect(apiFailure({ graphQLErrors: [], response: { status: 401 } }).kind).toBe("unauthenticated");
    expect(apiFailure({ graphQLErrors: [], response: { status: 429 } }).kind).toBe("rate-limited");
    expect(apiFailure({ graphQLErrors: [], networkError: new TypeError("fetch failed") }).kind).toBe(
      "network",
    );
    expect(apiFailure({ graphQLErrors: [{ message: "Unexpected error." }] })).toEqual({
      kind: "other",
      text: "Unexpected error.",
    });
  });
});
