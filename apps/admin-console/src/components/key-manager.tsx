import type { CombinedError } from "@urql/core";
import { type FormEvent, type ReactNode, useEffect, useId, useState } from "react";
import { useLocation } from "react-router";
import { useMutation } from "urql";
import {
  overlaps,
  type PermissionName,
  permissionLabels,
  permissionNames,
  permissionText,
  problemOf,
} from "../lib/org-messages.ts";
import { IssueApiKeyMutation, RevokeApiKeyMutation, RotateApiKeyMutation } from "../lib/org-queries.ts";
import { localDayEnd } from "../lib/time.ts";
import { ApiError } from "./api-error.tsx";
import { ConfirmDialog } from "./confirm-dialog.tsx";
import { Field } from "./fields.tsx";
import { OverlapSelect } from "./overlap-select.tsx";
import { ScrollTable } from "./scroll-table.tsx";
import { SecretPanel } from "./secret-panel.tsx";
import { StatusBadge } from "./status-badge.tsx";
import { Timestamp } from "./timestamp.tsx";

type ApiKey = {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly permissions: readonly string[];
  readonly status: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly expiresAt: number | null;
  readonly rotatedAt: number | null;
  readonly replacedById: string | null;
  readonly revokedAt: number | null;
};

type Shown = { readonly title: string; readonly secret: string; readonly note?: ReactNode };
type Pending = { readonly action: "rotate" | "revoke"; readonly key: ApiKey } | null;

/**
 * An organization's API keys: the list, issuing one (its secret shown once), rotating one with an
 * overlap (the new secret shown once, and when the old key retires) and revoking one. A secret
 * lives in this component's state only, and is dropped on dismissal and on any navigation.
 */
export function KeyManager(props: {
  orgId: string;
  orgName: string;
  keys: readonly ApiKey[];
  onChange: () => void;
}) {
  const id = useId();
  const location = useLocation();
  const [shown, setShown] = useState<Shown | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<CombinedError | null>(null);
  const [pending, setPending] = useState<Pending>(null);
  const [overlap, setOverlap] = useState<number>(3600);
  const [issued, issue] = useMutation(IssueApiKeyMutation);
  const [, rotate] = useMutation(RotateApiKeyMutation);
  const [, revoke] = useMutation(RevokeApiKeyMutation);

  // Any navigation (another tab, another page, back) drops a shown secret.
  useEffect(() => {
    if (location.key) setShown(null);
  }, [location.key]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const name = String(data.get("name") ?? "").trim();
    const permissions = data.getAll("permission").map(String) as PermissionName[];
    const expiry = String(data.get("expires") ?? "");
    if (!name || permissions.length === 0) {
      setProblem(!name ? "Give the key a name." : "Choose at least one permission.");
      return;
    }
    const expiresAt = expiry ? localDayEnd(expiry) : null;
    setProblem(null);
    setFailure(null);
    const answer = await issue({
      input: { orgId: props.orgId, name, permissions, ...(expiresAt ? { expiresAt } : {}) },
    });
    const result = answer.data?.issueApiKey;
    if (answer.error) setFailure(answer.error);
    const failed = problemOf(result, "IssuedApiKey");
    if (failed) setProblem(failed.text);
    if (result?.__typename === "IssuedApiKey") {
      form.reset();
      setShown({ title: `New API key “${result.apiKey.name}”`, secret: result.key });
      props.onChange();
    }
  }

  async function confirm() {
    if (!pending) return;
    const { action, key } = pending;
    setPending(null);
    setFailure(null);
    setProblem(null);
    if (action === "rotate") {
      const answer = await rotate({ id: key.id, overlapSeconds: overlap });
      const result = answer.data?.rotateApiKey;
      if (answer.error) setFailure(answer.error);
      const failed = problemOf(result, "RotatedApiKey");
      if (failed) setProblem(failed.text);
      if (result?.__typename === "RotatedApiKey") {
        setShown({
          title: `Rotated API key “${key.name}”: its replacement`,
          secret: result.key,
          note: (
            <p data-testid="retires-at">
              The old key ({key.prefix}) keeps working until <Timestamp ms={result.previousKeyRetiresAt} />.
            </p>
          ),
        });
      }
    } else {
      const answer = await revoke({ id: key.id });
      const result = answer.data?.revokeApiKey;
      if (answer.error) setFailure(answer.error);
      const failed = problemOf(result, "ApiKey");
      if (failed) setProblem(failed.text);
    }
    props.onChange();
  }

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>API keys</h2>
      {shown ? (
        <SecretPanel title={shown.title} secret={shown.secret} onDismiss={() => setShown(null)}>
          {shown.note}
          <p>Send it as the X-API-Key header.</p>
        </SecretPanel>
      ) : null}
      {problem ? (
        <p className="notice notice-error" role="alert">
          {problem}
        </p>
      ) : null}
      {failure ? <ApiError error={failure} /> : null}
      {props.keys.length === 0 ? (
        <p className="empty">No API keys yet.</p>
      ) : (
        <ScrollTable
          label="API keys table"
          caption={`API keys of ${props.orgName}, oldest first`}
          columns={[
            "Name",
            "Prefix",
            "Permissions",
            "Status",
            "Created",
            "Last used",
            "Expires",
            "History",
            "Actions",
          ]}
        >
          {props.keys.map((key) => (
            <tr key={key.id} data-key-prefix={key.prefix}>
              <td>{key.name}</td>
              <td>
                <code>{key.prefix}</code>
              </td>
              <td>{key.permissions.map(permissionText).join(", ")}</td>
              <td>
                <StatusBadge status={key.status} />
              </td>
              <td>
                <Timestamp ms={key.createdAt} />
              </td>
              <td>
                <Timestamp ms={key.lastUsedAt} />
              </td>
              <td>
                <Timestamp ms={key.expiresAt} />
              </td>
              <td>
                {key.rotatedAt ? (
                  <span>
                    Rotated <Timestamp ms={key.rotatedAt} />
                    {key.replacedById
                      ? `, replaced by ${props.keys.find((k) => k.id === key.replacedById)?.prefix ?? "another key"}`
                      : ""}
                  </span>
                ) : null}
                {key.revokedAt ? (
                  <span>
                    {key.rotatedAt ? "; revoked " : "Revoked "}
                    <Timestamp ms={key.revokedAt} />
                  </span>
                ) : null}
                {!key.rotatedAt && !key.revokedAt ? <span className="muted">—</span> : null}
              </td>
              <td className="row-actions">
                {key.status === "ACTIVE" ? (
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`Rotate key ${key.name} (${key.prefix})`}
                    onClick={() => setPending({ action: "rotate", key })}
                  >
                    Rotate…
                  </button>
                ) : null}
                {key.status === "ACTIVE" || key.status === "RETIRING" ? (
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Revoke key ${key.name} (${key.prefix})`}
                    onClick={() => setPending({ action: "revoke", key })}
                  >
                    Revoke…
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </ScrollTable>
      )}

      <form className="key-issue" onSubmit={submit} aria-labelledby={`${id}-issue-title`} noValidate>
        <h3 id={`${id}-issue-title`}>Issue a key</h3>
        <Field label="Key name (what it is for)">
          {(fieldId) => (
            <input id={fieldId} name="name" type="text" autoComplete="off" maxLength={200} required />
          )}
        </Field>
        <fieldset className="checkboxes">
          <legend>Permissions</legend>
          {permissionNames.map((permission) => (
            <label key={permission}>
              <input type="checkbox" name="permission" value={permission} /> {permissionLabels[permission]}
            </label>
          ))}
        </fieldset>
        <Field label="Expires after (optional, your time zone)">
          {(fieldId) => <input id={fieldId} name="expires" type="date" />}
        </Field>
        <div className="actions">
          <button type="submit" disabled={issued.fetching}>
            Issue key
          </button>
        </div>
      </form>

      <ConfirmDialog
        open={pending?.action === "rotate"}
        title={`Rotate key ${pending?.key.name ?? ""}?`}
        confirmLabel="Rotate key"
        onConfirm={confirm}
        onCancel={() => setPending(null)}
      >
        <p>A new key replaces it, with the same permissions. Its secret is shown once.</p>
        <OverlapSelect
          label="The old key keeps working for"
          choices={overlaps}
          value={overlap}
          onChange={setOverlap}
        />
      </ConfirmDialog>
      <ConfirmDialog
        open={pending?.action === "revoke"}
        title={`Revoke key ${pending?.key.name ?? ""}?`}
        confirmLabel="Revoke key"
        danger
        onConfirm={confirm}
        onCancel={() => setPending(null)}
      >
        <p>
          Key <code>{pending?.key.prefix}</code> stops working at once, for good. Whoever uses it gets 401.
        </p>
      </ConfirmDialog>
    </section>
  );
}
