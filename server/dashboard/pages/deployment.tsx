import type { TimelineEvent } from '../../db/timeline.ts';
import type { DeploymentRecord } from '../../ledger/index.ts';
import { redactUserinfo } from '../../redact.ts';
import { Rollouts } from '../components/rollouts.tsx';
import { StateBadge } from '../components/state-badge.tsx';
import { timestamp } from '../format.ts';
import { type LinkOptions, linksFor } from '../links.ts';
import { historyPath } from './environments.tsx';

function Field({ label, children }: { label: string; children: unknown }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children ?? '—'}</dd>
    </>
  );
}

/** The record and its whole timeline; re-rendered in place when a signal lands. */
export function DeploymentDetail({
  record,
  events,
  links,
}: {
  record: DeploymentRecord;
  events: TimelineEvent[];
  links: LinkOptions;
}) {
  const link = linksFor(record, links);
  return (
    <>
      <dl class="record">
        <Field label="State">
          <StateBadge state={record.state} />
        </Field>
        <Field label="Commit">
          <a class="sha" href={link.commit}>
            {record.sha}
          </a>
        </Field>
        <Field label="Ref">{record.ref}</Field>
        <Field label="Key">{record.key}</Field>
        <Field label="Description">{record.description}</Field>
        <Field label="Run">
          {link.run ? <a href={link.run}>{`${record.runId} (attempt ${record.runAttempt ?? 1})`}</a> : null}
        </Field>
        <Field label="GitHub deployment">
          {link.githubDeployment ? (
            <a href={link.githubDeployment}>{String(record.githubDeploymentId)}</a>
          ) : null}
        </Field>
        <Field label="Kubernetes">
          {record.k8s
            ? (() => {
                const text = `${record.k8s.namespace}/${record.k8s.name}${record.k8s.revision ? ` (revision ${record.k8s.revision})` : ''}`;
                return link.k8s ? <a href={link.k8s}>{text}</a> : <code>{`deployment/${text}`}</code>;
              })()
            : null}
        </Field>
        <Field label="Environment URL">
          {link.environment ? <a href={link.environment}>{record.environmentUrl}</a> : null}
        </Field>
        <Field label="Log">{link.log ? <a href={link.log}>{record.logUrl}</a> : null}</Field>
        <Field label="Commit time">{timestamp(record.commitAt ?? null)}</Field>
        <Field label="Created">{timestamp(record.createdAt)}</Field>
        <Field label="Started">{timestamp(record.startedAt)}</Field>
        <Field label="Deployed">{timestamp(record.deployedAt)}</Field>
        <Field label="Completed">{timestamp(record.completedAt)}</Field>
        <Field label="Updated">{timestamp(record.updatedAt)}</Field>
      </dl>
      {record.k8sRollouts ? <Rollouts rollouts={record.k8sRollouts} /> : null}
      <h2>Timeline</h2>
      <table class="cards timeline">
        <thead>
          <tr>
            <th>Source</th>
            <th>State</th>
            <th>Applied</th>
            <th>Reason</th>
            <th>Its time</th>
            <th>Arrived</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr
              data-event={String(event.id)}
              data-applied={String(event.applied)}
              class={event.applied ? '' : 'ignored'}
            >
              <td data-label="Source">
                <span class={`source source-${event.source}`}>{event.source}</span>
              </td>
              <td data-label="State">{event.state ?? '—'}</td>
              <td data-label="Applied">{event.applied ? 'applied' : 'not applied'}</td>
              <td data-label="Reason">{event.reason ?? ''}</td>
              <td data-label="Its time">{timestamp(event.occurredAt)}</td>
              <td data-label="Arrived">{timestamp(event.receivedAt)}</td>
              <td data-label="Detail">
                {event.detail && Object.keys(event.detail as object).length > 0 ? (
                  <code>{redactUserinfo(JSON.stringify(event.detail))}</code>
                ) : (
                  ''
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function DeploymentPage(props: {
  record: DeploymentRecord;
  events: TimelineEvent[];
  links: LinkOptions;
}) {
  const { record } = props;
  return (
    <>
      <p class="crumbs">
        <a href={historyPath(record)}>
          {record.repository} · {record.environment}
        </a>
      </p>
      <h1>Deployment {record.key}</h1>
      <section id="deployment" data-live={`/dashboard/fragments/deployments/${record.id}`}>
        <DeploymentDetail {...props} />
      </section>
    </>
  );
}
