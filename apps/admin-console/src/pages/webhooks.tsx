import type { CombinedError } from "@urql/core";
import { type FormEvent, useEffect, useState } from "react";
import { Link, useLocation, useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { ApiError, Loading } from "../components/api-error.tsx";
import { Field } from "../components/fields.tsx";
import { OrgName } from "../components/org-name.tsx";
import { ScrollTable } from "../components/scroll-table.tsx";
import { SecretPanel } from "../components/secret-panel.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { WebhookStats } from "../components/webhook-stats.tsx";
import { type EventTypeName, eventTypes, problemOf } from "../lib/org-messages.ts";
import { CreateWebhookMutation, WebhooksQuery } from "../lib/org-queries.ts";
import { useDocumentTitle } from "../lib/use-document-title.ts";

type Created = { readonly id: string; readonly url: string; readonly secret: string };

/** Every webhook subscription (admins: all organizations'), with its stats, and a form creating one. */
export function WebhooksPage() {
  useDocumentTitle("Webhooks");
  const [params] = useSearchParams();
  const location = useLocation();
  const org = params.get("org") ?? "";
  const [result, reexecute] = useQuery({ query: WebhooksQuery, variables: {} });
  const [creating, create] = useMutation(CreateWebhookMutation);
  const [created, setCreated] = useState<Created | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<CombinedError | null>(null);

  // Any navigation drops a shown secret.
  useEffect(() => {
    if (location.key) setCreated(null);
  }, [location.key]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const orgId = String(data.get("orgId") ?? "");
    const url = String(data.get("url") ?? "").trim();
    const description = String(data.get("description") ?? "").trim();
    const types = data.getAll("eventType").map(String) as EventTypeName[];
    if (!orgId || !url) {
      setProblem(!orgId ? "Choose the organization." : "Give the endpoint's URL.");
      return;
    }
    setProblem(null);
    setFailure(null);
    const answer = await create({
      input: { orgId, url, eventTypes: types, ...(description ? { description } : {}) },
    });
    if (answer.error) setFailure(answer.error);
    const outcome = answer.data?.createWebhookSubscription;
    const failed = problemOf(outcome, "WebhookSecretResult");
    if (failed) setProblem(failed.text);
    if (outcome?.__typename === "WebhookSecretResult") {
      form.reset();
      setCreated({ id: outcome.subscription.id, url: outcome.subscription.url, secret: outcome.secret });
      reexecute({ requestPolicy: "network-only" });
    }
  }

  const subscriptions = result.data?.webhookSubscriptions;
  const organizations = result.data?.organizations.edges.map((edge) => edge.node) ?? [];
  return (
    <>
      <h1>Webhooks</h1>
      {created ? (
        <SecretPanel
          title="New webhook subscription: its signing secret"
          secret={created.secret}
          onDismiss={() => setCreated(null)}
        >
          <p>
            <Link to={`/webhooks/${created.id}`}>{created.url}</Link> verifies the webhook-signature header
            with it.
          </p>
        </SecretPanel>
      ) : null}
      {result.error ? <ApiError error={result.error} onRetry={() => reexecute()} /> : null}
      {result.fetching && !subscriptions ? <Loading what="webhook subscriptions" /> : null}
      {subscriptions ? (
        subscriptions.length === 0 ? (
          <p className="empty" role="status">
            No webhook subscriptions yet.
          </p>
        ) : (
          <ScrollTable
            label="Webhook subscriptions table"
            caption="Webhook subscriptions"
            columns={["Endpoint", "Organization", "Status", "Event types", "Deliveries"]}
          >
            {subscriptions.map((webhook) => (
              <tr key={webhook.id} data-webhook-id={webhook.id}>
                <td>
                  <Link to={`/webhooks/${webhook.id}`}>{webhook.url}</Link>
                  {webhook.description ? <div className="muted">{webhook.description}</div> : null}
                </td>
                <td>
                  <OrgName id={webhook.orgId} org={webhook.organization} />
                </td>
                <td>
                  <StatusBadge status={webhook.status} />
                </td>
                <td>{webhook.eventTypes.length === 0 ? "All" : webhook.eventTypes.join(", ")}</td>
                <td>
                  <WebhookStats stats={webhook.stats} failingSince={webhook.failingSince} />
                </td>
              </tr>
            ))}
          </ScrollTable>
        )
      ) : null}

      <form className="webhook-create" onSubmit={submit} aria-labelledby="webhook-create-title" noValidate>
        <h2 id="webhook-create-title">New webhook subscription</h2>
        <Field label="Organization">
          {(id) => (
            <select id={id} name="orgId" defaultValue={org} key={`${org}-${organizations.length}`} required>
              <option value="">Choose…</option>
              {organizations.map((entry) => (
                <option key={entry.id} value={entry.id}>
                  {entry.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Endpoint URL">
          {(id) => (
            <input
              id={id}
              name="url"
              type="url"
              inputMode="url"
              autoComplete="off"
              required
              maxLength={2000}
            />
          )}
        </Field>
        <Field label="Description (optional)">
          {(id) => <input id={id} name="description" type="text" autoComplete="off" maxLength={500} />}
        </Field>
        <EventTypeChoices selected={[]} />
        {problem ? (
          <p className="field-error" role="alert">
            {problem}
          </p>
        ) : null}
        {failure ? <ApiError error={failure} /> : null}
        <div className="actions">
          <button type="submit" disabled={creating.fetching}>
            Create subscription
          </button>
        </div>
      </form>
    </>
  );
}

/** The event types to deliver, as checkboxes; none checked means every type. */
export function EventTypeChoices({ selected }: { selected: readonly string[] }) {
  return (
    <fieldset className="checkboxes event-types">
      <legend>Event types (none checked: all of them)</legend>
      {eventTypes.map((type) => (
        <label key={type}>
          <input type="checkbox" name="eventType" value={type} defaultChecked={selected.includes(type)} />{" "}
          {type}
        </label>
      ))}
    </fieldset>
  );
}
