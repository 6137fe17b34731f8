import type { Strip } from '../../db/dashboard-reads.ts';
import { type DeploymentRecord, STATES, type State } from '../../ledger/index.ts';
import { HistoryStrip } from '../components/history-strip.tsx';
import { KindLabel } from '../components/kind-label.tsx';
import { StateBadge } from '../components/state-badge.tsx';
import { shortSha, timestamp } from '../format.ts';
import { type LinkOptions, linksFor } from '../links.ts';

export interface HistoryProps {
  repository: string;
  environment: string;
  state: State | undefined;
  records: DeploymentRecord[];
  nextCursor: string | null;
  /** Its marks are listAnswer's list (stripMarkChunks). */
  strip: Strip;
  links: LinkOptions;
  path: string;
}

/** One environment's deployments, newest first, a page at a time. */
export function HistoryPage(props: HistoryProps) {
  const next = props.nextCursor
    ? `${props.path}?${new URLSearchParams({ ...(props.state ? { state: props.state } : {}), cursor: props.nextCursor })}`
    : null;
  return (
    <>
      <h1>
        {props.repository} · {props.environment}
      </h1>
      <h2>Last 90 days</h2>
      <HistoryStrip strip={props.strip} />
      <form method="get" action={props.path} class="filters">
        <label>
          State{' '}
          <select name="state">
            <option value="">Any</option>
            {STATES.map((state) => (
              <option value={state} selected={state === props.state}>
                {state}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
        <a
          href={`/dashboard/dora?repository=${encodeURIComponent(props.repository)}&environment=${encodeURIComponent(props.environment)}`}
        >
          DORA figures
        </a>
      </form>
      {props.records.length === 0 ? (
        <p class="empty">No deployments match.</p>
      ) : (
        <table class="cards">
          <thead>
            <tr>
              <th>Created</th>
              <th>State</th>
              <th>Commit</th>
              <th>Ref</th>
              <th>Key</th>
              <th>Deployed at</th>
              <th>Description</th>
            </tr>
          </thead>
          <tbody>
            {props.records.map((record) => (
              <tr data-deployment={record.id}>
                <td data-label="Created">
                  <a href={`/dashboard/deployments/${record.id}`}>{timestamp(record.createdAt)}</a>
                </td>
                <td data-label="State">
                  <StateBadge state={record.state} /> <KindLabel kind={record.kind} />
                </td>
                <td data-label="Commit">
                  <a class="sha" href={linksFor(record, props.links).commit}>
                    {shortSha(record.sha)}
                  </a>
                </td>
                <td data-label="Ref">{record.ref ?? '—'}</td>
                <td data-label="Key">{record.key}</td>
                <td data-label="Deployed at">{timestamp(record.deployedAt)}</td>
                <td data-label="Description">{record.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <p>
          <a href={next} rel="next">
            Older deployments →
          </a>
        </p>
      )}
    </>
  );
}
