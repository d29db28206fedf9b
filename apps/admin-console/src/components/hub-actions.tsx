import type { CombinedError } from "@urql/core";
import { type FormEvent, useId, useRef, useState } from "react";
import { flushSync } from "react-dom";
import { useMutation } from "urql";
import { type CommandResult, commandMessage, type LifecycleAction, type Message } from "../lib/messages.ts";
import { DecommissionHubMutation, ResumeHubMutation, SuspendHubMutation } from "../queries.ts";
import { useSession } from "../session.tsx";
import { ApiError } from "./api-error.tsx";

type Hub = { readonly id: string; readonly serial: string; readonly status: string };

const actions: Record<
  LifecycleAction,
  {
    label: string;
    verb: string;
    reasonRequired: boolean;
    danger: boolean;
    allowed: (status: string) => boolean;
  }
> = {
  suspend: {
    label: "Suspend",
    verb: "Suspend",
    reasonRequired: true,
    danger: false,
    allowed: (status) => status === "Provisioned" || status === "Claimed",
  },
  resume: {
    label: "Resume",
    verb: "Resume",
    reasonRequired: false,
    danger: false,
    allowed: (s) => s === "Suspended",
  },
  decommission: {
    label: "Decommission",
    verb: "Decommission for good",
    reasonRequired: true,
    danger: true,
    allowed: (status) => status !== "Decommissioned",
  },
};

/** Suspend, resume, decommission: each asks for confirmation and a reason, then says what happened. */
type Outcome = { readonly message: Message } | { readonly error: CombinedError } | null;

export function HubActions({ hub, onDone }: { hub: Hub; onDone: () => void }) {
  const { claims } = useSession();
  const [pending, setPending] = useState<LifecycleAction | null>(null);
  /** The last action's outcome only (a result in words or an API failure). */
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [reasonProblem, setReasonProblem] = useState<string | null>(null);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const outcomeRef = useRef<HTMLDivElement>(null);
  const id = useId();
  const [suspendState, suspend] = useMutation(SuspendHubMutation);
  const [resumeState, resume] = useMutation(ResumeHubMutation);
  const [decommissionState, decommission] = useMutation(DecommissionHubMutation);
  const busy = suspendState.fetching || resumeState.fetching || decommissionState.fetching;

  function open(action: LifecycleAction) {
    // The dialog's heading and field must exist before showModal() names it and moves the focus.
    flushSync(() => {
      setPending(action);
      setReasonProblem(null);
    });
    dialogRef.current?.showModal();
    reasonRef.current?.focus();
  }

  function close() {
    dialogRef.current?.close();
    setPending(null);
  }

  /** Each action's mutation, answering its result (or the API failure) the same way. */
  const runs: Record<
    LifecycleAction,
    (input: { hubId: string; userId: string; reason: string }) => Promise<{
      error: CombinedError | undefined;
      result: CommandResult | undefined;
    }>
  > = {
    suspend: (input) => suspend({ input }).then((r) => ({ error: r.error, result: r.data?.suspendHub })),
    resume: ({ reason, ...rest }) =>
      resume({ input: { ...rest, ...(reason ? { reason } : {}) } }).then((r) => ({
        error: r.error,
        result: r.data?.resumeHub,
      })),
    decommission: (input) =>
      decommission({ input }).then((r) => ({ error: r.error, result: r.data?.decommissionHub })),
  };

  async function send(action: LifecycleAction, reason: string) {
    const answer = await runs[action]({ hubId: hub.id, userId: claims?.sub ?? "admin-console", reason });
    setOutcome(
      answer.result
        ? { message: commandMessage(action, answer.result) }
        : answer.error
          ? { error: answer.error }
          : null,
    );
    if (answer.result) onDone();
    // The button pressed may now be disabled: the focus goes to what happened.
    requestAnimationFrame(() => outcomeRef.current?.focus());
  }

  function confirm(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending) return;
    const reason = String(new FormData(event.currentTarget).get("reason") ?? "").trim();
    if (actions[pending].reasonRequired && reason === "") {
      setReasonProblem("Give a reason (it is recorded with the event).");
      reasonRef.current?.focus();
      return;
    }
    const action = pending;
    close();
    void send(action, reason);
  }

  const spec = pending ? actions[pending] : null;
  return (
    <section className="hub-actions" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Actions</h2>
      <div className="actions">
        {(Object.keys(actions) as LifecycleAction[]).map((action) => (
          <button
            key={action}
            type="button"
            data-action={action}
            className={actions[action].danger ? "danger" : undefined}
            disabled={busy || !actions[action].allowed(hub.status)}
            onClick={() => open(action)}
          >
            {actions[action].label}…
          </button>
        ))}
      </div>
      <div aria-live="polite" ref={outcomeRef} tabIndex={-1} className="outcome">
        {busy ? <p className="muted">Sending…</p> : null}
        {outcome && "message" in outcome ? (
          <p className={`notice notice-${outcome.message.tone}`} data-tone={outcome.message.tone}>
            {outcome.message.text}
          </p>
        ) : null}
      </div>
      {outcome && "error" in outcome ? <ApiError error={outcome.error} /> : null}
      <dialog ref={dialogRef} aria-labelledby={`${id}-dialog-title`} onClose={() => setPending(null)}>
        {spec && pending ? (
          <form onSubmit={confirm} noValidate>
            <h2 id={`${id}-dialog-title`}>
              {spec.label} hub {hub.serial}?
            </h2>
            {pending === "decommission" ? (
              <p>Decommissioning is final: the hub cannot be resumed or claimed again.</p>
            ) : null}
            <label htmlFor={`${id}-reason`}>Reason{spec.reasonRequired ? "" : " (optional)"}</label>
            <textarea
              ref={reasonRef}
              id={`${id}-reason`}
              name="reason"
              rows={3}
              maxLength={500}
              required={spec.reasonRequired}
              aria-invalid={reasonProblem ? true : undefined}
              aria-describedby={reasonProblem ? `${id}-reason-problem` : undefined}
            />
            {reasonProblem ? (
              <p id={`${id}-reason-problem`} className="field-error" role="alert">
                {reasonProblem}
              </p>
            ) : null}
            <div className="actions">
              <button type="submit" className={spec.danger ? "danger" : undefined}>
                {spec.verb}
              </button>
              <button type="button" className="secondary" onClick={close}>
                Cancel
              </button>
            </div>
          </form>
        ) : null}
      </dialog>
    </section>
  );
}
