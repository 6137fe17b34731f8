import type { RecoveryReport } from '../../jobs/recovery-status.ts';
import type { DeploymentRecord } from '../../ledger/index.ts';
import { escaped } from '../components/markup.ts';
import { RecoveryStatusLine } from '../components/recovery-status.tsx';
import { RepositorySelect } from '../components/repository-select.tsx';
import { stateBadgeMarkup } from '../components/state-badge.tsx';
import { age, shortSha, timestamp } from '../format.ts';
import { type LinkOptions, linksFor } from '../links.ts';
import { listChunks, listPlace } from '../list-answer.ts';
import type { Viewer } from '../viewer.ts';

export function historyPath(record: { repository: string; environment: string }): string {
  return `/dashboard/environments/${record.repository}/${encodeURIComponent(record.environment)}`;
}

/**
 * One environment's row, as markup: the page draws one per environment (hundreds), and an element
 * tree for each was most of its rendering. The same bytes the JSX wrote.
 */
function rowMarkup(record: DeploymentRecord, links: LinkOptions, now: Date): string {
  const link = linksFor(record, links);
  const id = escaped(record.id);
  const repository = escaped(record.repository);
  return (
    `<tr data-environment="${repository}/${escaped(record.environment)}" data-deployment="${id}">` +
    `<td data-label="Repository">${repository}</td>` +
    `<td data-label="Environment"><a href="${escaped(historyPath(record))}">${escaped(record.environment)}</a></td>` +
    `<td data-label="State"><a href="/dashboard/deployments/${id}">${stateBadgeMarkup(record.state)}</a></td>` +
    `<td data-label="Commit"><a class="sha" href="${escaped(link.commit)}">${escaped(shortSha(record.sha))}</a></td>` +
    `<td data-label="Ref">${escaped(record.ref ?? '—')}</td>` +
    `<td data-label="Age"><time datetime="${record.createdAt.toISOString()}">${escaped(age(record.createdAt, now))}</time></td>` +
    `<td data-label="Deployed at">${escaped(timestamp(record.deployedAt))}</td>` +
    `<td data-label="Run">${link.run ? `<a href="${escaped(link.run)}">${escaped(`#${record.runId}`)}</a>` : '—'}</td>` +
    `<td data-label="URL">${link.environment ? `<a href="${escaped(link.environment)}">${escaped(record.environmentUrl ?? '')}</a>` : '—'}</td>` +
    '</tr>'
  );
}

/** The environments' rows, in chunks for listAnswer (list-answer.ts). */
export function environmentRows(records: DeploymentRecord[], links: LinkOptions): string[] {
  const now = new Date();
  return listChunks(records, (record) => rowMarkup(record, links, now));
}

/**
 * The live part of the environments page: re-rendered and swapped in when a signal lands. Its
 * rows are left to listAnswer to put in (environmentRows).
 */
export function EnvironmentsTable({ records }: { records: DeploymentRecord[] }) {
  if (records.length === 0) return <p class="empty">No deployments yet.</p>;
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
      <tbody>{listPlace()}</tbody>
    </table>
  );
}

export function EnvironmentsPage(props: {
  records: DeploymentRecord[];
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
        <EnvironmentsTable records={props.records} />
      </section>
    </>
  );
}
