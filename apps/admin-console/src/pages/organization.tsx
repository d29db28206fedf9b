import { Link, useParams, useSearchParams } from "react-router";
import { useQuery } from "urql";
import { ApiError, Loading } from "../components/api-error.tsx";
import { Detail } from "../components/fields.tsx";
import { KeyManager } from "../components/key-manager.tsx";
import { ScrollTable } from "../components/scroll-table.tsx";
import { CopyButton } from "../components/secret-panel.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { Timestamp } from "../components/timestamp.tsx";
import { OrganizationQuery } from "../lib/org-queries.ts";
import { useDocumentTitle } from "../lib/use-document-title.ts";

const tabs = [
  { id: "hubs", label: "Hubs" },
  { id: "keys", label: "API keys" },
  { id: "webhooks", label: "Webhooks" },
] as const;
type Tab = (typeof tabs)[number]["id"];

function tabOf(params: URLSearchParams): Tab {
  const wanted = params.get("tab");
  return tabs.find((tab) => tab.id === wanted)?.id ?? "hubs";
}

/** One organization: its hubs, its API keys and its webhooks, one section at a time (`?tab=`). */
export function OrganizationPage() {
  const { id = "" } = useParams();
  const [params] = useSearchParams();
  const tab = tabOf(params);
  const [result, reexecute] = useQuery({
    query: OrganizationQuery,
    variables: { id, hubOrg: id, hubs: tab === "hubs", keys: tab === "keys", webhooks: tab === "webhooks" },
  });
  const org = result.data?.organization;
  useDocumentTitle(org ? `Organization ${org.name}` : "Organization");

  if (result.error && !result.data) return <ApiError error={result.error} onRetry={() => reexecute()} />;
  if (!result.data) return <Loading what="the organization" />;
  if (!org) {
    return (
      <>
        <h1>Organization not found</h1>
        <p>
          No organization has the id <code>{id}</code>.
        </p>
      </>
    );
  }
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  return (
    <>
      <h1>Organization {org.name}</h1>
      <dl className="details">
        <Detail label="Organization id">
          <code>{org.id}</code> <CopyButton text={org.id} label="Copy the organization id" />
        </Detail>
        <Detail label="Hubs it owns" testId="org-hub-count">
          {org.hubCount}
        </Detail>
        <Detail label="Created">
          <Timestamp ms={org.createdAt} />
        </Detail>
      </dl>
      <nav className="tabs" aria-label="Organization sections">
        {tabs.map((entry) => (
          <Link
            key={entry.id}
            to={`?tab=${entry.id}`}
            aria-current={entry.id === tab ? "page" : undefined}
            className={entry.id === tab ? "tab tab-current" : "tab"}
          >
            {entry.label}
          </Link>
        ))}
      </nav>
      {result.error ? <ApiError error={result.error} onRetry={refresh} /> : null}
      {tab === "hubs" ? <OrgHubs orgId={org.id} hubs={result.data.hubs} hubCount={org.hubCount} /> : null}
      {tab === "keys" && result.data.apiKeys ? (
        <KeyManager orgId={org.id} orgName={org.name} keys={result.data.apiKeys} onChange={refresh} />
      ) : null}
      {tab === "webhooks" ? <OrgWebhooks orgId={org.id} webhooks={result.data.webhookSubscriptions} /> : null}
    </>
  );
}

type HubsPage = {
  readonly edges: readonly {
    readonly node: {
      readonly id: string;
      readonly serial: string;
      readonly model: string;
      readonly status: string;
      readonly siteId: string | null;
      readonly provisionedAt: number;
    };
  }[];
  readonly pageInfo: { readonly hasNextPage: boolean };
};

function OrgHubs({ orgId, hubs, hubCount }: { orgId: string; hubs: HubsPage | undefined; hubCount: number }) {
  return (
    <section aria-labelledby="org-hubs-title">
      <h2 id="org-hubs-title">Hubs claimed into it</h2>
      <p className="muted">
        It owns {hubCount} {hubCount === 1 ? "hub" : "hubs"}: those claimed into it, and those its keys
        provisioned that nobody has claimed yet.
      </p>
      {!hubs ? null : hubs.edges.length === 0 ? (
        <p className="empty">No hub is claimed into it.</p>
      ) : (
        <ScrollTable
          label="Its hubs"
          caption="Hubs claimed into the organization, newest first"
          columns={["Serial", "Status", "Model", "Site", "Provisioned"]}
        >
          {hubs.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>
                <Link to={`/hubs/${node.id}`}>{node.serial}</Link>
              </td>
              <td>
                <StatusBadge status={node.status} />
              </td>
              <td>{node.model}</td>
              <td>{node.siteId ?? <span className="muted">—</span>}</td>
              <td>
                <Timestamp ms={node.provisionedAt} />
              </td>
            </tr>
          ))}
        </ScrollTable>
      )}
      <p>
        <Link to={`/hubs?${new URLSearchParams({ org: orgId })}`}>
          {hubs?.pageInfo.hasNextPage ? "All its hubs, with filters →" : "Its hubs in the hubs list →"}
        </Link>
      </p>
    </section>
  );
}

type Webhook = {
  readonly id: string;
  readonly url: string;
  readonly status: string;
  readonly eventTypes: readonly string[];
  readonly description: string | null;
};

function OrgWebhooks({ orgId, webhooks }: { orgId: string; webhooks: readonly Webhook[] | undefined }) {
  return (
    <section aria-labelledby="org-webhooks-title">
      <h2 id="org-webhooks-title">Webhook subscriptions</h2>
      {!webhooks ? null : webhooks.length === 0 ? (
        <p className="empty">No webhook subscriptions.</p>
      ) : (
        <ul className="webhook-list">
          {webhooks.map((webhook) => (
            <li key={webhook.id}>
              <Link to={`/webhooks/${webhook.id}`}>{webhook.url}</Link>{" "}
              <StatusBadge status={webhook.status} />{" "}
              <span className="muted">
                {webhook.eventTypes.length === 0 ? "every event type" : webhook.eventTypes.join(", ")}
                {webhook.description ? ` — ${webhook.description}` : ""}
              </span>
            </li>
          ))}
        </ul>
      )}
      <p>
        <Link to={`/webhooks?${new URLSearchParams({ org: orgId })}`}>New webhook subscription for it →</Link>
      </p>
    </section>
  );
}
