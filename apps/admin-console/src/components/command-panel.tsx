import { knownHubCommands } from "@hub/shared/vocabulary";
import type { CombinedError } from "@urql/core";
import { type FormEvent, useId, useRef, useState } from "react";
import { useMutation } from "urql";
import { graphql } from "../graphql.ts";
import { ApiError } from "./api-error.tsx";
import { Field } from "./fields.tsx";

type CommandName = keyof typeof knownHubCommands;

/**
 * Each known command's arguments, as form fields; a name the command list calls secret is a
 * password input. commission_with_code is CommissionDevice's: its code is the commissioning code.
 */
const commandArgs = {
  get_nodes: [],
  server_info: [],
  set_wifi_credentials: ["ssid", "credentials"],
  commission_with_code: ["code"],
} as const satisfies Record<CommandName, readonly string[]>;

const commandNames = Object.keys(knownHubCommands) as CommandName[];

const isSecret = (command: CommandName, arg: string) =>
  (knownHubCommands[command].secretArgs as readonly string[]).includes(arg);

const SentFields = graphql(`
  fragment CommandSent on DeviceCommandSent @_unmask {
    commandId
    state
  }
`);

const SendFailureFields = graphql(`
  fragment SendFailure on Error @_unmask {
    message
    ... on ValidationError {
      details {
        field
        message
      }
    }
  }
`);

export const SendHubCommandMutation = graphql(
  `
  mutation ConsoleSendHubCommand($input: SendHubCommandInput!) {
    sendHubCommand(input: $input) {
      __typename
      ...CommandSent
      ...SendFailure
    }
  }
`,
  [SentFields, SendFailureFields],
);

export const CommissionDeviceMutation = graphql(
  `
  mutation ConsoleCommissionDevice($input: CommissionDeviceInput!) {
    commissionDevice(input: $input) {
      __typename
      ...CommandSent
      ...SendFailure
    }
  }
`,
  [SentFields, SendFailureFields],
);

type Answer =
  | { readonly __typename: "DeviceCommandSent"; readonly commandId: string; readonly state: string }
  | {
      readonly __typename: string;
      readonly message?: string;
      readonly details?: readonly { field: string; message: string }[];
    };

type Outcome =
  | { readonly tone: "success" | "error"; readonly text: string }
  | { readonly error: CombinedError };

function describe(answer: Answer): Outcome {
  if ("commandId" in answer)
    return { tone: "success", text: `Sent: command ${answer.commandId} is ${answer.state}.` };
  const details =
    "details" in answer && answer.details ? answer.details.map((d) => d.message).join("; ") : "";
  return {
    tone: "error",
    text: `${"message" in answer ? answer.message : "Not sent"}${details ? `: ${details}` : ""}`,
  };
}

/**
 * Sends a command to the hub (its Device Shadow) or commissions a device. Secret arguments are
 * password inputs, cleared once sent and never shown again (the API records their names only).
 */
export function CommandPanel({ hubId, onSent }: { hubId: string; onSent: () => void }) {
  const id = useId();
  const [command, setCommand] = useState<CommandName>("server_info");
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const outcomeRef = useRef<HTMLDivElement>(null);
  const [sendState, send] = useMutation(SendHubCommandMutation);
  const [commissionState, commission] = useMutation(CommissionDeviceMutation);
  const busy = sendState.fetching || commissionState.fetching;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const args: Record<string, string> = {};
    for (const name of commandArgs[command]) {
      const value = String(form.get(name) ?? "");
      if (value !== "") args[name] = value;
    }
    // Secrets leave the page with the request only: the argument fields are emptied at once.
    for (const name of commandArgs[command]) {
      const input = formRef.current?.elements.namedItem(name);
      if (input instanceof HTMLInputElement) input.value = "";
    }
    const answer =
      command === "commission_with_code"
        ? await commission({ input: { hubId, commissioningCode: args.code ?? "" } }).then((r) => ({
            error: r.error,
            data: r.data?.commissionDevice as Answer | undefined,
          }))
        : await send({
            input: { hubId, command, ...(Object.keys(args).length > 0 ? { args } : {}) },
          }).then((r) => ({ error: r.error, data: r.data?.sendHubCommand as Answer | undefined }));
    setOutcome(answer.data ? describe(answer.data) : answer.error ? { error: answer.error } : null);
    if (answer.data && "commandId" in answer.data) onSent();
    requestAnimationFrame(() => outcomeRef.current?.focus());
  }

  return (
    <section className="command-panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Send a command</h2>
      <form
        ref={formRef}
        className="command-form"
        onSubmit={(event) => void submit(event)}
        autoComplete="off"
      >
        <Field label="Command">
          {(fieldId) => (
            <select
              id={fieldId}
              name="command"
              value={command}
              aria-describedby={`${id}-description`}
              onChange={(event) => setCommand(event.target.value as CommandName)}
            >
              {commandNames.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <p id={`${id}-description`} className="muted">
          {knownHubCommands[command].description}
        </p>
        {commandArgs[command].map((arg) => (
          <Field
            key={`${command}-${arg}`}
            label={command === "commission_with_code" ? "Commissioning code" : arg}
          >
            {(fieldId) => (
              <input
                id={fieldId}
                name={arg}
                type={isSecret(command, arg) ? "password" : "text"}
                autoComplete={isSecret(command, arg) ? "new-password" : "off"}
                spellCheck={false}
                required
              />
            )}
          </Field>
        ))}
        <div className="actions">
          <button type="submit" disabled={busy}>
            {command === "commission_with_code" ? "Commission device" : "Send command"}
          </button>
        </div>
      </form>
      <div aria-live="polite" ref={outcomeRef} tabIndex={-1} className="outcome">
        {busy ? <p className="muted">Sending…</p> : null}
        {outcome && "text" in outcome ? (
          <p className={`notice notice-${outcome.tone}`} data-tone={outcome.tone}>
            {outcome.text}
          </p>
        ) : null}
      </div>
      {outcome && "error" in outcome ? <ApiError error={outcome.error} /> : null}
    </section>
  );
}
