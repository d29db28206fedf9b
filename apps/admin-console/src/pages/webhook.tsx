import type { CombinedError } from "@urql/core";
import { type FormEvent, useEffect, useId, useState } from "react";
import { Link, useLocation, useNavigate, useParams, useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { ApiError, Loading } from "../components/api-error.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { Detail, Field } from "../components/fields.tsx";
import { OrgName } from "../components/org-name.tsx";
import { OverlapSelect } from "../components/overlap-select.tsx";
import { Pager } from "../components/pager.tsx";
import { ScrollTable } from "../components/scroll-table.tsx";
import { SecretPanel } from "../components/secret-panel.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { Timestamp } from "../components/timestamp.tsx";
import { WebhookStats } from "../components/webhook-stats.tsx";
import { type EventTypeName, overlaps, problemOf } from "../lib/org-messages.ts";
import {
  DeleteWebhookMutation,
  PauseWebhookMutation,
  ReplayDeadLettersMutation,
  ReplayDeliveryMutation,
  ResumeWebhookMutation,
  RotateWebhookSecretMutation,
  UpdateWebhookMutation,
  WebhookQuery,
} from "../lib/org-queries.ts";
import { useDocumentTitle } from "../lib/use-document-title.ts";
import { EventTypeChoices } from "./webhooks.tsx";

const deliveryStatuses = ["PENDING", "DELIVERED", "DEAD"] as const;
type DeliveryStatus = (typeof deliveryStatuses)[number];
type Dialog = "pause" | "rotate" | "delete" | "replay-all" | null;

/** `?status=` of the deliveries list: one of the statuses, or all of them. */
function statusOf(params: URLSearchParams): DeliveryStatus | null {
  const wanted = params.get("status");
  return deliveryStatuses.find((status) => status === wanted) ?? null;
}

/**
 * One webhook subscription: its settings (edit), pause/resume, a new signing secret (shown once),
 * deletion, and its deliveries by status (`?status=`) with every attempt; dead letters replay one
 * by one or all at once.
 */
export function WebhookPage() {
  const { id = "" } = useParams();
  const id_ = useId();
  const [params, setParams] = useSearchParams();
  const status = statusOf(params);
  const after = params.get("after") ?? undefined;
  const location = useLocation();
  const navigate = useNavigate();
  const [result, reexecute] = useQuery({
    query: WebhookQuery,
    variables: { subscriptionId: id, status, first: 20, ...(after ? { after } : {}) },
  });
  const [dialog, setDialog] = useState<Dialog>(null);
  const [pauseReason, setPauseReason] = useState("");
  const [overlap, setOverlap] = useState<number>(86_400);
  const [secret, setSecret] = useState<{ value: string; previousUntil: number | null } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<CombinedError | null>(null);
  const [, update] = useMutation(UpdateWebhookMutation);
  const [, pause] = useMutation(PauseWebhookMutation);
  const [, resume] = useMutation(ResumeWebhookMutation);
  const [, rotate] = useMutation(RotateWebhookSecretMutation);
  const [, remove] = useMutation(DeleteWebhookMutation);
  const [, replayOne] = useMutation(ReplayDeliveryMutation);
  const [, replayAll] = useMutation(ReplayDeadLettersMutation);

  const webhook = result.data?.webhookSubscriptions.find((entry) => entry.id === id);
  useDocumentTitle(webhook ? `Webhook ${webhook.url}` : "Webhook");
  useEffect(() => {
    if (location.key) setSecret(null);
  }, [location.key]);

  const refresh = () => reexecute({ requestPolicy: "network-only" });

  /** Runs a mutation and says what happened; true when it succeeded. */
  async function run(
    action: () => Promise<{ error?: CombinedError | undefined; outcome: Parameters<typeof problemOf>[0] }>,
    ok: string,
    success: string,
  ): Promise<boolean> {
    setProblem(null);
    setFailure(null);
    setNotice(null);
    const { error, outcome } = await action();
    if (error) setFailure(error);
    const failed = problemOf(outcome, ok);
    if (failed) setProblem(failed.text);
    const done = !error && !failed && Boolean(outcome);
    if (done) setNotice(success);
    refresh();
    return done;
  }

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const description = String(data.get("description") ?? "").trim();
    await run(
      async () => {
        const answer = await update({
          input: {
            id,
            url: String(data.get("url") ?? "").trim(),
            description: description || null,
            eventTypes: data.getAll("eventType").map(String) as EventTypeName[],
          },
        });
        return { error: answer.error, outcome: answer.data?.updateWebhookSubscription };
      },
      "WebhookSubscription",
      "Saved.",
    );
  }

  /** Which of the page's confirmations is open, and what its buttons do. */
  function dialogProps(which: Exclude<Dialog, null>) {
    return { open: dialog === which, onConfirm: confirmDialog, onCancel: () => setDialog(null) };
  }

  async function confirmDialog() {
    const which = dialog;
    setDialog(null);
    if (which === "pause") {
      const reason = pauseReason.trim();
      await run(
        async () => {
          const answer = await pause({ id, ...(reason ? { reason } : {}) });
          return { error: answer.error, outcome: answer.data?.pauseWebhookSubscription };
        },
        "WebhookSubscription",
        "Paused: its events are queued until it is resumed.",
      );
    } else if (which === "rotate") {
      const answer = await rotate({ id, overlapSeconds: overlap });
      const outcome = answer.data?.rotateWebhookSecret;
      if (answer.error) setFailure(answer.error);
      const failed = problemOf(outcome, "WebhookSecretResult");
      if (failed) setProblem(failed.text);
      if (outcome?.__typename === "WebhookSecretResult") {
        setSecret({ value: outcome.secret, previousUntil: outcome.subscription.previousSecretExpiresAt });
      }
      refresh();
    } else if (which === "delete") {
      const done = await run(
        async () => {
          const answer = await remove({ id });
          return { error: answer.error, outcome: answer.data?.deleteWebhookSubscription };
        },
        "WebhookSubscription",
        "Deleted.",
      );
      if (done) navigate("/webhooks");
    } else if (which === "replay-all") {
      const answer = await replayAll({ subscriptionId: id });
      const outcome = answer.data?.replayWebhookDeliveries;
      await run(
        async () => ({ error: answer.error, outcome }),
        "WebhookReplayResult",
        outcome?.__typename === "WebhookReplayResult" ? `${outcome.replayed} dead letters queued again.` : "",
      );
    }
  }

  async function replay(deliveryId: string) {
    await run(
      async () => {
        const answer = await replayOne({ id: deliveryId });
        return { error: answer.error, outcome: answer.data?.replayWebhookDelivery };
      },
      "WebhookReplayResult",
      "Delivery queued again.",
    );
  }

  if (result.error && !result.data) return <ApiError error={result.error} onRetry={refresh} />;
  if (!result.data) return <Loading what="the webhook subscription" />;
  if (!webhook) {
    return (
      <>
        <h1>Webhook subscription not found</h1>
        <p>
          No webhook subscription has the id <code>{id}</code>. <Link to="/webhooks">All webhooks</Link>
        </p>
      </>
    );
  }
  const deliveries = result.data.webhookDeliveries;
  const statusParams = (next: DeliveryStatus | null) => {
    const query = new URLSearchParams();
    if (next) query.set("status", next);
    return `?${query}`;
  };
  const endCursor = deliveries.pageInfo.hasNextPage ? deliveries.pageInfo.endCursor : null;
  const olderPage = endCursor ? new URLSearchParams(statusParams(status)) : null;
  olderPage?.set("after", endCursor ?? "");
  return (
    <>
      <h1>
        Webhook <span className="break-anywhere">{webhook.url}</span> <StatusBadge status={webhook.status} />
      </h1>
      {secret ? (
        <SecretPanel title="New signing secret" secret={secret.value} onDismiss={() => setSecret(null)}>
          {secret.previousUntil ? (
            <p>
              The previous secret also signs until <Timestamp ms={secret.previousUntil} />.
            </p>
          ) : (
            <p>The previous secret no longer signs.</p>
          )}
        </SecretPanel>
      ) : null}
      <div aria-live="polite" className="outcome">
        {notice ? <p className="notice notice-success">{notice}</p> : null}
      </div>
      {problem ? (
        <p className="notice notice-error" role="alert">
          {problem}
        </p>
      ) : null}
      {failure ? <ApiError error={failure} /> : null}
      <dl className="details">
        <Detail label="Organization">
          <OrgName id={webhook.orgId} org={webhook.organization} />
        </Detail>
        <Detail label="Status" testId="webhook-status">
          {webhook.status}
          {webhook.pausedReason ? ` (${webhook.pausedReason})` : ""}
        </Detail>
        <Detail label="Deliveries">
          <WebhookStats stats={webhook.stats} failingSince={webhook.failingSince} />
        </Detail>
        <Detail label="Created">
          <Timestamp ms={webhook.createdAt} />
        </Detail>
        <Detail label="Updated">
          <Timestamp ms={webhook.updatedAt} />
        </Detail>
      </dl>
      <div className="actions">
        {webhook.status === "ACTIVE" ? (
          <button type="button" className="secondary" onClick={() => setDialog("pause")}>
            Pause…
          </button>
        ) : (
          <button
            type="button"
            onClick={() =>
              run(
                async () => {
                  const answer = await resume({ id });
                  return { error: answer.error, outcome: answer.data?.resumeWebhookSubscription };
                },
                "WebhookSubscription",
                "Resumed: its queued events are sent in order.",
              )
            }
          >
            Resume
          </button>
        )}
        <button type="button" className="secondary" onClick={() => setDialog("rotate")}>
          Rotate signing secret…
        </button>
        <button type="button" className="danger" onClick={() => setDialog("delete")}>
          Delete…
        </button>
      </div>

      <form className="webhook-edit" onSubmit={save} aria-labelledby={`${id_}-edit`} key={webhook.updatedAt}>
        <h2 id={`${id_}-edit`}>Settings</h2>
        <Field label="Endpoint URL">
          {(fieldId) => (
            <input id={fieldId} name="url" type="url" defaultValue={webhook.url} required maxLength={2000} />
          )}
        </Field>
        <Field label="Description (optional)">
          {(fieldId) => (
            <input
              id={fieldId}
              name="description"
              type="text"
              defaultValue={webhook.description ?? ""}
              maxLength={500}
            />
          )}
        </Field>
        <EventTypeChoices selected={webhook.eventTypes} />
        <div className="actions">
          <button type="submit">Save settings</button>
        </div>
      </form>

      <section aria-labelledby={`${id_}-deliveries`}>
        <h2 id={`${id_}-deliveries`}>Deliveries (newest first)</h2>
        <nav className="tabs" aria-label="Deliveries by status">
          {[null, ...deliveryStatuses].map((entry) => (
            <Link
              key={entry ?? "all"}
              to={statusParams(entry)}
              aria-current={entry === status ? "page" : undefined}
              className={entry === status ? "tab tab-current" : "tab"}
            >
              {entry === null
                ? "All"
                : entry === "DEAD"
                  ? "Dead letters"
                  : entry.charAt(0) + entry.slice(1).toLowerCase()}
            </Link>
          ))}
        </nav>
        {(webhook.stats?.dead ?? 0) > 0 ? (
          <p>
            <button type="button" onClick={() => setDialog("replay-all")}>
              Replay all dead letters ({webhook.stats?.dead})
            </button>
          </p>
        ) : null}
        {deliveries.edges.length === 0 ? (
          <p className="empty" role="status">
            No deliveries{status ? ` with status ${status}` : ""}.
          </p>
        ) : (
          <ol className="deliveries">
            {deliveries.edges.map(({ node }) => (
              <li key={node.id} className="delivery" data-delivery-id={node.id} data-status={node.status}>
                <p className="delivery-head">
                  <StatusBadge status={node.status} /> <strong>{node.eventType}</strong> of hub{" "}
                  <Link to={`/hubs/${node.hubId}`}>
                    <code>{node.hubId}</code>
                  </Link>{" "}
                  (version {node.version}), queued <Timestamp ms={node.createdAt} />
                  {node.deliveredAt ? (
                    <>
                      , delivered <Timestamp ms={node.deliveredAt} />
                    </>
                  ) : null}
                  {node.deadAt ? (
                    <>
                      , dead <Timestamp ms={node.deadAt} />
                    </>
                  ) : null}
                  {node.nextAttemptAt ? (
                    <>
                      , next attempt <Timestamp ms={node.nextAttemptAt} />
                    </>
                  ) : null}
                  {node.waitingReason
                    ? ` (waiting: ${node.waitingReason.toLowerCase().replace("_", " ")})`
                    : ""}
                </p>
                {node.status === "DEAD" ? (
                  <button
                    type="button"
                    aria-label={`Replay ${node.eventType} of hub ${node.hubId}, version ${node.version}`}
                    onClick={() => replay(node.id)}
                  >
                    Replay
                  </button>
                ) : null}
                {node.attemptLog.length > 0 ? (
                  <ScrollTable
                    label={`Attempts of delivery ${node.id}`}
                    caption="Attempts, oldest first"
                    columns={["#", "Time", "HTTP status", "Duration", "Error", "Response (start)"]}
                    className="attempts"
                  >
                    {node.attemptLog.map((attempt) => (
                      <tr key={attempt.attempt}>
                        <td>{attempt.attempt}</td>
                        <td>
                          <Timestamp ms={attempt.attemptedAt} />
                        </td>
                        <td>{attempt.status ?? <span className="muted">none</span>}</td>
                        <td>{attempt.durationMs} ms</td>
                        <td>{attempt.error ?? <span className="muted">—</span>}</td>
                        <td>
                          {attempt.responsePrefix ? (
                            <code className="break-anywhere">{attempt.responsePrefix}</code>
                          ) : (
                            <span className="muted">—</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </ScrollTable>
                ) : (
                  <p className="muted">No attempt yet.</p>
                )}
              </li>
            ))}
          </ol>
        )}
        <Pager
          label="Delivery pages"
          go={setParams}
          back={{ label: "← Newest", to: after ? new URLSearchParams(statusParams(status)) : null }}
          forward={{ label: "Older deliveries →", to: olderPage }}
        />
      </section>

      <ConfirmDialog {...dialogProps("pause")} title="Pause this subscription?" confirmLabel="Pause">
        <p>Its events keep being queued, and are sent in order once it is resumed.</p>
        <label htmlFor={`${id_}-reason`}>Reason (optional)</label>
        <input
          id={`${id_}-reason`}
          type="text"
          maxLength={500}
          value={pauseReason}
          onChange={(event) => setPauseReason(event.target.value)}
        />
      </ConfirmDialog>
      <ConfirmDialog
        {...dialogProps("rotate")}
        title="Rotate the signing secret?"
        confirmLabel="Rotate secret"
      >
        <p>A new secret signs from now on; it is shown once.</p>
        <OverlapSelect
          label="The old secret also signs for"
          choices={overlaps}
          value={overlap}
          onChange={setOverlap}
        />
      </ConfirmDialog>
      <ConfirmDialog
        {...dialogProps("delete")}
        title="Delete this subscription?"
        confirmLabel="Delete subscription"
        danger
      >
        <p>
          Deleting is final. Its {webhook.stats?.pending ?? 0} pending deliveries and{" "}
          {webhook.stats?.dead ?? 0} dead letters are deleted with it, and nothing more is sent to{" "}
          {webhook.url}.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        {...dialogProps("replay-all")}
        title="Replay every dead letter?"
        confirmLabel="Replay all"
      >
        <p>
          Its {webhook.stats?.dead ?? 0} dead letters are queued again, each with the same webhook-id and a
          fresh retry schedule.
        </p>
      </ConfirmDialog>
    </>
  );
}
