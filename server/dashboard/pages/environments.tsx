import type { RecoveryReport } from '../../jobs/recovery-status.ts';
import type { DeploymentRecord } from '../../ledger/index.ts';
import { RecoveryStatusLine } from '../components/recovery-status.tsx';
import { RepositorySelect } from '../components/repository-select.tsx';
import { StateBadge } from '../components/state-badge.tsx';
import { age, shortSha, timestamp } from '../format.ts';
import { type LinkOptions, linksFor } from '../links.ts';
import type { Viewer } from '../viewer.ts';

export function historyPath(record: { repository: string; environment: string }): string {
  return `/dashboard/environments/${record.repository}/${encodeURIComponent(record.environment)}`;
}

/** The live part of the environments page: re-rendered and swapped in when a signal lands. */
export function EnvironmentsTable({ records, links }: { records: DeploymentRecord[]; links: LinkOptions }) {
  if (records.length === 0) return <p class="empty">No deployments yet.</p>;
  const now = new Date();
  return (
    <table class="cards">
      <thead>
        <tr>
          <th>Repository</th>
          <th>Environment</th>
          <th>State</th>
          <th>Commit</th>
          <th>Ref</th>
          <th>Age</th>
          <th>Deployed at</th>
          <th>Run</th>
          <th>URL</th>
        </tr>
      </thead>
      <tbody>
        {records.map((record) => {
          const link = linksFor(record, links);
          return (
            <tr data-environment={`${record.repository}/${record.environment}`} data-deployment={record.id}>
              <td data-label="Repository">{record.repository}</td>
              <td data-label="Environment">
                <a href={historyPath(record)}>{record.environment}</a>
              </td>
              <td data-label="State">
                <a href={`/dashboard/deployments/${record.id}`}>
                  <StateBadge state={record.state} />
                </a>
              </td>
              <td data-label="Commit">
                <a class="sha" href={link.commit}>
                  {shortSha(record.sha)}
                </a>
              </td>
              <td data-label="Ref">{record.ref ?? '—'}</td>
              <td data-label="Age">
                <time datetime={record.createdAt.toISOString()}>{age(record.createdAt, now)}</time>
              </td>
              <td data-label="Deployed at">{timestamp(record.deployedAt)}</td>
              <td data-label="Run">{link.run ? <a href={link.run}>{`#${record.runId}`}</a> : '—'}</td>
              <td data-label="URL">
                {link.environment ? <a href={link.environment}>{record.environmentUrl}</a> : '—'}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function EnvironmentsPage(props: {
  records: DeploymentRecord[];
  links: LinkOptions;
  repositories: string[];
  repository: string | undefined;
  /** How the recovery of missed GitHub deliveries is doing; absent where the server runs none. */
  recovery?: { report: RecoveryReport; viewer: Viewer } | undefined;
}) {
  const fragment = `/dashboard/fragments/environments${props.repository ? `?repository=${encodeURIComponent(props.repository)}` : ''}`;
  return (
    <>
      <h1>Environments</h1>
      {props.recovery && <RecoveryStatusLine {...props.recovery} />}
      <form method="get" action="/dashboard" class="filters">
        <RepositorySelect repositories={props.repositories} selected={props.repository} />
        <button type="submit">Filter</button>
      </form>
      <section id="environments" data-live={fragment}>
        <EnvironmentsTable records={props.records} links={props.links} />
      </section>
    </>
  );
}
