import { useEffect } from "react";
import { useQuery } from "urql";
import { graphql } from "../graphql.ts";
import { ApiError, Loading } from "./api-error.tsx";
import { Detail } from "./fields.tsx";
import type { HubEventPulse } from "./live-hub-events.ts";
import { Timestamp } from "./timestamp.tsx";

export const HubCommandsQuery = graphql(`
  query ConsoleHubCommands($id: ID!) {
    hub(id: $id) {
      id
      commands(first: 20) {
        edges {
          node {
            id
            command
            args
            secretArgs
            state
            sentAt
            completedAt
            reason
            result
          }
        }
      }
    }
  }
`);

/** The hub's latest commands and where each is; refetched as the hub's events report outcomes. */
export function CommandList({ hubId, pulse, sent }: { hubId: string; pulse: HubEventPulse; sent: number }) {
  const [result, reexecute] = useQuery({ query: HubCommandsQuery, variables: { id: hubId } });
  useEffect(() => {
    if (pulse.count + sent > 0) reexecute({ requestPolicy: "network-only" });
  }, [pulse.count, sent, reexecute]);
  const commands = result.data?.hub?.commands.edges.map((edge) => edge.node) ?? [];
  return (
    <section className="command-list" aria-labelledby="hub-commands-title">
      <h2 id="hub-commands-title">Commands (newest first)</h2>
      {result.error && !result.data ? (
        <ApiError error={result.error} onRetry={() => reexecute({ requestPolicy: "network-only" })} />
      ) : !result.data ? (
        <Loading what="the hub's commands" />
      ) : commands.length === 0 ? (
        <p className="empty">No command sent to this hub yet.</p>
      ) : (
        <ol className="events commands">
          {commands.map((command) => (
            <li key={command.id} className="event" data-command-id={command.id} data-state={command.state}>
              <div className="event-head">
                <strong className="event-type">{command.command}</strong>
                <span className={`command-state command-state-${command.state.toLowerCase()}`}>
                  {command.state}
                </span>
              </div>
              <dl className="event-meta">
                <Detail label="Command id">
                  <code>{command.id}</code>
                </Detail>
                <Detail label="Sent">
                  <Timestamp ms={command.sentAt} />
                </Detail>
                <Detail label="Completed">
                  <Timestamp ms={command.completedAt} />
                </Detail>
                {command.secretArgs.length > 0 ? (
                  <Detail label="Secret arguments">{command.secretArgs.join(", ")} (not shown)</Detail>
                ) : null}
                {command.reason ? <Detail label="Reason">{command.reason}</Detail> : null}
              </dl>
              {command.args && Object.keys(command.args).length > 0 ? (
                <details>
                  <summary>Arguments</summary>
                  <pre>{JSON.stringify(command.args, null, 2)}</pre>
                </details>
              ) : null}
              {command.result ? (
                <details>
                  <summary>Result</summary>
                  <pre>{JSON.stringify(command.result, null, 2)}</pre>
                </details>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
