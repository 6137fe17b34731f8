import { createHash } from 'node:crypto';
import type { BatchLedger } from '../db/environment-batch.ts';
import { isActive, type NewDeployment, runKey, type Signal } from '../ledger/index.ts';
import type { LegacyRow } from './legacy-rows.ts';

/**
 * One deployment (a group of legacy rows) into the ledger, every state decided by the core: its
 * rows' statuses become signals (source `repair`), the first opens the record. Where another
 * deployment of the environment is active, the newer supersedes the older, as for webhooks.
 * False when the deployment's key is already stored (imported before).
 */
export function importGroup(ledger: BatchLedger, group: LegacyRow[]): boolean {
  const first = group[0] as LegacyRow;
  const withRun = runRow(group);
  const keys = importKeys(group, withRun);
  if (keys.some((key) => ledger.hasKey(key))) return false;
  const key = keys[0] as string;

  const [opening, ...rest] = group.flatMap(signalsOf).sort((a, b) => a.at.getTime() - b.at.getTime());
  if (!opening) return false;
  let openWith = opening;
  const active = isActive(opening.state) ? ledger.active() : null;
  if (active && active.createdAt <= first.createdAt) {
    ledger.apply(active.id, superseded(first.createdAt, { superseded_by_key: key }));
  } else if (active) {
    // A newer deployment is active already: this one was over before it; its rows still go on the timeline.
    openWith = superseded(first.createdAt, { superseded_by: active.id });
    rest.unshift(opening);
  }
  const request: NewDeployment = {
    repository: first.repository,
    environment: first.environment,
    key,
    sha: first.sha,
    ref: null,
    state: openWith.state,
    runId: withRun?.runId ?? null,
    runAttempt: withRun?.runAttempt ?? null,
    githubDeploymentId: null,
    environmentUrl: openWith.environmentUrl ?? null,
    logUrl: null,
    description: null,
    metricsEndpoint: null,
    k8s: null,
    fingerprint: null,
  };
  const opened = ledger.open(request, 'repair', openWith, first.createdAt);
  for (const signal of rest) ledger.apply(opened.id, signal);
  return true;
}

/** A legacy row as signals: its status at its best-known time, preceded by a success at deployed_at. */
function signalsOf(row: LegacyRow): Signal[] {
  const detail = { imported_line: row.line };
  const signals: Signal[] = [];
  if (row.deployedAt && row.state !== 'success') {
    signals.push({ source: 'repair', state: 'success', at: row.deployedAt, reason: 'imported', detail });
  }
  signals.push({
    source: 'repair',
    state: row.state,
    at: row.state === 'success' ? (row.deployedAt ?? row.createdAt) : row.createdAt,
    environmentUrl: row.environmentUrl,
    reason: 'imported',
    detail,
  });
  return signals;
}

function superseded(at: Date, detail: Record<string, unknown>): Signal {
  return { source: 'repair', state: 'inactive', at, reason: 'superseded', detail };
}

/**
 * The keys a group may already be stored under, the one it is opened with first: a deployment of
 * a workflow run has the run's key (`<run_id>-<run_attempt>`), which the Action's record of the
 * same run holds, so a history that overlaps what the server recorded adds nothing; every group
 * also has the key derived from its first row, which imports before this one used for all.
 */
export function importKeys(group: LegacyRow[], withRun = runRow(group)): string[] {
  const derived = importKey(group[0] as LegacyRow);
  return withRun?.runId ? [runKey(withRun.runId, withRun.runAttempt ?? 1), derived] : [derived];
}

/** The group's first row that names its workflow run. */
function runRow(group: LegacyRow[]): LegacyRow | undefined {
  return group.find((row) => row.runId !== null);
}

/** Derived from the deployment's first row, so a second import of the same history finds it. */
function importKey(row: LegacyRow): string {
  const digest = createHash('sha256')
    .update([row.repository, row.environment, row.sha, row.createdAt.toISOString()].join('\n'))
    .digest('hex');
  return `import-${digest.slice(0, 24)}`;
}
