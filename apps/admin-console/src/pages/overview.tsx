import { Link } from "react-router";
import { useQuery } from "urql";
import { ApiError, Loading } from "../components/api-error.tsx";
import { ColumnChart, ShareBar } from "../components/charts.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { Timestamp } from "../components/timestamp.tsx";
import { FleetOverviewQuery, formatAge } from "../lib/overview-query.ts";
import { useDocumentTitle } from "../lib/use-document-title.ts";

const number = new Intl.NumberFormat();
/** A UTC calendar day (`YYYY-MM-DD`) as people read dates, without moving it into another zone. */
const utcDay = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });

export function OverviewPage() {
  useDocumentTitle("Overview");
  const [result, reexecute] = useQuery({ query: FleetOverviewQuery, requestPolicy: "cache-and-network" });
  const overview = result.data?.fleetOverview;

  return (
    <>
      <h1>Overview</h1>
      {result.error ? (
        <ApiError error={result.error} onRetry={() => reexecute({ requestPolicy: "network-only" })} />
      ) : null}
      {!overview && result.fetching ? <Loading what="the overview" /> : null}
      {overview ? (
        <div className="overview">
          <section className="overview-card" aria-labelledby="overview-hubs">
            <h2 id="overview-hubs">Hubs</h2>
            <p className="overview-total">
              <Link to="/hubs" data-count="total">
                {number.format(overview.hubs.total)}
              </Link>{" "}
              hubs
            </p>
            <figure className="overview-figure">
              <ShareBar
                parts={overview.hubs.byStatus.map((row) => ({
                  key: row.status,
                  value: row.count,
                  className: `chart-part chart-${row.status.toLowerCase()}`,
                }))}
              />
              <figcaption className="visually-hidden">Hubs by status</figcaption>
              <table className="overview-table">
                <caption className="visually-hidden">Hubs by status</caption>
                <thead>
                  <tr>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">
                      Hubs
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {overview.hubs.byStatus.map((row) => (
                    <tr key={row.status}>
                      <th scope="row">
                        <span
                          className={`legend-swatch chart-${row.status.toLowerCase()}`}
                          aria-hidden="true"
                        />
                        <StatusBadge status={row.status} />
                      </th>
                      <td className="num">
                        <Link
                          to={`/hubs?status=${row.status}`}
                          data-status={row.status}
                          aria-label={`${number.format(row.count)} ${row.status} hubs`}
                        >
                          {number.format(row.count)}
                        </Link>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </figure>
          </section>

          <section className="overview-card" aria-labelledby="overview-presence">
            <h2 id="overview-presence">Connected now</h2>
            <ShareBar
              parts={[
                { key: "online", value: overview.hubs.online, className: "chart-part chart-online" },
                { key: "offline", value: overview.hubs.offline, className: "chart-part chart-offline" },
              ]}
            />
            <dl className="overview-stats">
              {(
                [
                  { key: "online", label: "Online", value: overview.hubs.online },
                  { key: "offline", label: "Offline", value: overview.hubs.offline },
                ] as const
              ).map((presence) => (
                <div key={presence.key}>
                  <dt>
                    <span className={`legend-swatch chart-${presence.key}`} aria-hidden="true" />
                    {presence.label}
                  </dt>
                  <dd>
                    <Link
                      to={`/hubs?online=${presence.key === "online"}`}
                      data-count={presence.key}
                      aria-label={`${number.format(presence.value)} ${presence.key} hubs`}
                    >
                      {number.format(presence.value)}
                    </Link>
                  </dd>
                </div>
              ))}
            </dl>
          </section>

          <section className="overview-card overview-wide" aria-labelledby="overview-per-day">
            <h2 id="overview-per-day">Provisioned per day</h2>
            <figure className="overview-figure">
              <ColumnChart days={overview.hubs.provisionedPerDay} />
              <figcaption className="muted">
                The last 30 days, oldest first; days are UTC calendar days (
                {utcDay.format(overview.hubs.provisionedPerDay[0]?.start ?? 0)} to{" "}
                {utcDay.format(overview.hubs.provisionedPerDay.at(-1)?.start ?? 0)}), in all{" "}
                <span data-count="provisioned-30d">
                  {number.format(overview.hubs.provisionedPerDay.reduce((sum, day) => sum + day.count, 0))}
                </span>{" "}
                hubs.
              </figcaption>
              <details className="overview-details">
                <summary>The numbers, day by day</summary>
                <table className="overview-table">
                  <caption className="visually-hidden">Hubs provisioned per UTC day</caption>
                  <thead>
                    <tr>
                      <th scope="col">Day (UTC)</th>
                      <th scope="col" className="num">
                        Hubs
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {overview.hubs.provisionedPerDay.map((day) => (
                      <tr key={day.date}>
                        <th scope="row">
                          <time dateTime={day.date}>{day.date}</time>
                        </th>
                        <td className="num" data-day={day.date}>
                          {number.format(day.count)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </details>
            </figure>
          </section>

          <section className="overview-card" aria-labelledby="overview-commands">
            <h2 id="overview-commands">Commands by outcome</h2>
            <table className="overview-table">
              <thead>
                <tr>
                  <th scope="col">State</th>
                  <th scope="col" className="num">
                    Commands
                  </th>
                </tr>
              </thead>
              <tbody>
                {overview.commandsByState.map((row) => (
                  <tr key={row.state}>
                    <th scope="row">{row.state}</th>
                    <td className="num" data-state={row.state}>
                      {number.format(row.count)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>

          <section className="overview-card" aria-labelledby="overview-deliveries">
            <h2 id="overview-deliveries">Webhook deliveries</h2>
            <dl className="overview-stats">
              <div>
                <dt>Delivered</dt>
                <dd data-count="delivered">{number.format(overview.deliveries.delivered)}</dd>
              </div>
              <div>
                <dt>Pending</dt>
                <dd data-count="pending">{number.format(overview.deliveries.pending)}</dd>
              </div>
              <div>
                <dt>Dead</dt>
                <dd data-count="dead">{number.format(overview.deliveries.dead)}</dd>
              </div>
              <div className="overview-oldest">
                <dt>Oldest pending</dt>
                <dd data-count="oldest-pending">
                  {overview.deliveries.oldestPendingAt === null ? (
                    <span className="muted">none</span>
                  ) : (
                    <>
                      <Timestamp ms={overview.deliveries.oldestPendingAt} /> (
                      {formatAge(overview.deliveries.oldestPendingAt, Date.now())} ago)
                    </>
                  )}
                </dd>
              </div>
            </dl>
          </section>
        </div>
      ) : null}
    </>
  );
}
