import type { CombinedError } from "@urql/core";
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router";
import { useMutation } from "urql";
import { graphql, type ResultOf } from "../graphql.ts";
import { useSession } from "../session.tsx";
import { ApiError } from "./api-error.tsx";
import { Field } from "./fields.tsx";

export const DeleteHubMutation = graphql(`
  mutation ConsoleDeleteHub($hubId: ID!, $mode: HubDeletionMode!, $force: Boolean) {
    deleteHub(hubId: $hubId, mode: $mode, force: $force) {
      __typename
      ... on HubDeletion {
        hubId
        mode
        deletionSummary
        eventCount
        auditRecordId
        archiveSha256
        operations {
          operation
          count
        }
      }
      ... on Error {
        message
      }
    }
  }
`);

type Mode = "DELETE_DO_ONLY" | "DELETE_DO_AND_EVENTS";

/** Each mode in plain words (the API's and the README's). */
const modes: Record<Mode, { label: string; explanation: string }> = {
  DELETE_DO_ONLY: {
    label: "Rebuild the hub's state (DELETE_DO_ONLY)",
    explanation:
      "Repairs the hub: its current state and its commands are deleted and rebuilt from its history, which is kept. Nothing is lost and readers never see the hub missing.",
  },
  DELETE_DO_AND_EVENTS: {
    label: "Erase the hub (DELETE_DO_AND_EVENTS)",
    explanation:
      "Erasure: the hub's history is archived, then its events, state, commands and webhook deliveries are deleted. Its serial can be provisioned again. A claimed, active hub needs “force” (or decommission it first).",
  },
};

export type HubDeletionResult = Extract<
  NonNullable<ResultOf<typeof DeleteHubMutation>["deleteHub"]>,
  { __typename: "HubDeletion" }
>;

type Hub = { readonly id: string; readonly serial: string; readonly status: string };

/**
 * Deleting a hub: a mode, the platform operator's API key (hubs:delete, sent with this request
 * only and never kept), and the hub's serial or id typed out to enable the button.
 */
export function DeleteHubSection({
  hub,
  onDeleted,
}: {
  hub: Hub;
  onDeleted: (result: HubDeletionResult) => void;
}) {
  const id = useId();
  const { token } = useSession();
  const [mode, setMode] = useState<Mode>("DELETE_DO_ONLY");
  const [typed, setTyped] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<CombinedError | null>(null);
  const [state, deleteHub] = useMutation(DeleteHubMutation);
  const confirmed =
    typed.trim() !== "" && (typed.trim() === hub.serial || typed.trim().toLowerCase() === hub.id);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!confirmed) return;
    const form = event.currentTarget;
    const data = new FormData(form);
    const apiKey = String(data.get("apiKey") ?? "").trim();
    const force = data.get("force") === "on";
    // The key leaves with this request only.
    const keyInput = form.elements.namedItem("apiKey");
    if (keyInput instanceof HTMLInputElement) keyInput.value = "";
    const result = await deleteHub(
      { hubId: hub.id, mode, force },
      {
        fetchOptions: {
          headers: { authorization: `Bearer ${token ?? ""}`, ...(apiKey ? { "x-api-key": apiKey } : {}) },
        },
      },
    );
    const answer = result.data?.deleteHub;
    setFailure(answer ? null : (result.error ?? null));
    if (answer?.__typename === "HubDeletion") {
      onDeleted(answer as HubDeletionResult);
      return;
    }
    setProblem(answer && "message" in answer ? answer.message : null);
  }

  return (
    <section className="delete-hub" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Delete hub</h2>
      <form onSubmit={(event) => void submit(event)} autoComplete="off">
        <fieldset>
          <legend>What to delete</legend>
          {(Object.keys(modes) as Mode[]).map((value) => (
            <div key={value} className="delete-mode">
              <input
                type="radio"
                id={`${id}-${value}`}
                name="mode"
                value={value}
                checked={mode === value}
                onChange={() => setMode(value)}
                aria-describedby={`${id}-${value}-explanation`}
              />
              <label htmlFor={`${id}-${value}`}>{modes[value].label}</label>
              <p id={`${id}-${value}-explanation`} className="muted">
                {modes[value].explanation}
              </p>
            </div>
          ))}
        </fieldset>
        {mode === "DELETE_DO_AND_EVENTS" ? (
          <div className="delete-mode">
            <input type="checkbox" id={`${id}-force`} name="force" />
            <label htmlFor={`${id}-force`}>Force: erase even though the hub is claimed and active</label>
          </div>
        ) : null}
        <Field label="Platform operator API key (hubs:delete)">
          {(fieldId) => (
            <input
              id={fieldId}
              name="apiKey"
              type="password"
              autoComplete="new-password"
              spellCheck={false}
              required
            />
          )}
        </Field>
        <Field label={`Type the hub's serial (${hub.serial}) or id to confirm`}>
          {(fieldId) => (
            <input
              id={fieldId}
              name="confirmation"
              type="text"
              spellCheck={false}
              value={typed}
              onChange={(event) => setTyped(event.target.value)}
            />
          )}
        </Field>
        <div className="actions">
          <button type="submit" className="danger" disabled={!confirmed || state.fetching}>
            {state.fetching ? "Deleting…" : "Delete hub"}
          </button>
        </div>
      </form>
      <div aria-live="polite">
        {problem ? (
          <p className="notice notice-error" role="alert">
            {problem}
          </p>
        ) : null}
      </div>
      {failure ? <ApiError error={failure} /> : null}
    </section>
  );
}

/** What a deletion did, in words, with the way back to the hubs list (focused: it replaces the page). */
export function DeletedHubSummary({ serial, result }: { serial: string; result: HubDeletionResult }) {
  const linkRef = useRef<HTMLAnchorElement>(null);
  useEffect(() => linkRef.current?.focus(), []);
  return (
    <section className="delete-hub-summary" aria-labelledby="deleted-title">
      <h1 id="deleted-title">Hub {serial} deleted</h1>
      <div className="notice notice-success" role="status" data-mode={result.mode}>
        <p>{result.deletionSummary}</p>
      </div>
      <dl className="details">
        <div>
          <dt>Mode</dt>
          <dd>{modes[result.mode as Mode]?.label ?? result.mode}</dd>
        </div>
        <div>
          <dt>Events the hub had</dt>
          <dd>{result.eventCount}</dd>
        </div>
        <div>
          <dt>Audit record</dt>
          <dd>
            <code>{result.auditRecordId}</code>
          </dd>
        </div>
        {result.archiveSha256 ? (
          <div>
            <dt>Archive SHA-256</dt>
            <dd>
              <code className="wrap">{result.archiveSha256}</code>
            </dd>
          </div>
        ) : null}
      </dl>
      <h2>Operations</h2>
      <ul>
        {result.operations.map((operation) => (
          <li key={operation.operation}>
            {operation.operation}: {operation.count}
          </li>
        ))}
      </ul>
      <p>
        <Link ref={linkRef} to="/hubs">
          Back to the hubs list
        </Link>
      </p>
    </section>
  );
}
