import * as core from '@actions/core';
import type { DeploymentRecord } from './records.ts';

export interface SummaryNote {
  record: DeploymentRecord;
  recordUrl: string;
  /** One line on what this call did (created, replayed, status applied or not). */
  outcome: string;
}

/** Adds the record to the job summary; skipped where the runner gives no summary file. */
export async function writeSummary({ record, recordUrl, outcome }: SummaryNote): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const rows: Array<[string, string | null]> = [
    ['State', `<code>${record.state}</code>`],
    ['Repository', escapeHtml(record.repository)],
    ['Environment', escapeHtml(record.environment)],
    ['Key', `<code>${escapeHtml(record.key)}</code>`],
    ['Commit', `<code>${escapeHtml(record.sha)}</code>${record.ref ? ` (${escapeHtml(record.ref)})` : ''}`],
    ['Environment URL', link(record.environment_url)],
    ['Log', link(record.log_url)],
    ['Kubernetes', record.k8s ? escapeHtml(`${record.k8s.namespace}/${record.k8s.name}`) : null],
    ['GitHub deployment', record.github_deployment_id === null ? null : String(record.github_deployment_id)],
    ['Committed', record.commit_at ?? null],
    ['Started', record.started_at],
    ['Deployed', record.deployed_at],
    ['Completed', record.completed_at],
  ];
  await core.summary
    .addHeading(`Deployledger: ${escapeHtml(record.environment)} is ${record.state}`, 3)
    .addRaw(`${escapeHtml(outcome)} `)
    .addLink(`Deployment ${record.id}`, recordUrl)
    .addEOL()
    .addTable([
      [
        { data: 'Field', header: true },
        { data: 'Value', header: true },
      ],
      ...rows.filter((row): row is [string, string] => row[1] !== null),
    ])
    .write();
}

function link(url: string | null): string | null {
  return url ? `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>` : null;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
