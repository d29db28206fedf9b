import { type FormEvent, useId, useRef, useState } from "react";
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
export function HubActions({ hub, onDone }: { hub: Hub; onDone: () => void }) {
  const { claims } = useSession();
  const [pending, setPending] = useState<LifecycleAction | null>(null);
  const [message, setMessage] = useState<Message | null>(null);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [suspendState, suspend] = useMutation(SuspendHubMutation);
  const [resumeState, resume] = useMutation(ResumeHubMutation);
  const [decommissionState, decommission] = useMutation(DecommissionHubMutation);
  const busy = suspendState.fetching || resumeState.fetching || decommissionState.fetching;
  const error = suspendState.error ?? resumeState.error ?? decommissionState.error;

  function open(action: LifecycleAction) {
    setPending(action);
    setMessage(null);
    dialogRef.current?.showModal();
  }

  function close() {
    dialogRef.current?.close();
    setPending(null);
  }

  async function confirm(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending) return;
    const reason = String(new FormData(event.currentTarget).get("reason") ?? "").trim();
    const userId = claims?.sub ?? "admin-console";
    const action = pending;
    close();
    let result: CommandResult | undefined;
    if (action === "suspend")
      result = (await suspend({ input: { hubId: hub.id, reason, userId } })).data?.suspendHub;
    if (action === "resume") {
      result = (await resume({ input: { hubId: hub.id, userId, ...(reason ? { reason } : {}) } })).data
        ?.resumeHub;
    }
    if (action === "decommission") {
      result = (await decommission({ input: { hubId: hub.id, reason, userId } })).data?.decommissionHub;
    }
    if (result) {
      setMessage(commandMessage(action, result));
      onDone();
    }
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
      <div aria-live="polite">
        {busy ? <p className="muted">Sending…</p> : null}
        {message ? (
          <p className={`notice notice-${message.tone}`} data-tone={message.tone}>
            {message.text}
          </p>
        ) : null}
      </div>
      {error ? <ApiError error={error} /> : null}
      <dialog ref={dialogRef} aria-labelledby={`${id}-dialog-title`} onClose={() => setPending(null)}>
        {spec && pending ? (
          <form onSubmit={confirm}>
            <h2 id={`${id}-dialog-title`}>
              {spec.label} hub {hub.serial}?
            </h2>
            {pending === "decommission" ? (
              <p>Decommissioning is final: the hub cannot be resumed or claimed again.</p>
            ) : null}
            <label htmlFor={`${id}-reason`}>Reason{spec.reasonRequired ? "" : " (optional)"}</label>
            <textarea
              id={`${id}-reason`}
              name="reason"
              rows={3}
              maxLength={500}
              required={spec.reasonRequired}
            />
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
