import { createHash } from 'node:crypto';
import { findActive, findByKey } from '../db/deployments.ts';
import type { EnvironmentLedger, LedgerStore } from '../db/ledger-store.ts';
import { isActive, type NewDeployment, type Signal } from '../ledger/index.ts';
import { groupRows } from './duplicates.ts';
import type { LegacyRow } from './legacy-rows.ts';

export interface ImportOutcome {
  rows: number;
  deployments: number;
  imported: number;
  alreadyImported: number;
}

/**
 * Imports a legacy history into the ledger, one record per deployment: rows are grouped as
 * `repair` groups duplicates, and each group becomes one record whose state the core decides
 * from the rows' statuses (source `repair`). Groups go in created_at order; where two would be
 * active in one environment, the newer supersedes the older, as for webhooks. Each record's key
 * is derived from its first row, so importing the same file again adds nothing.
 */
export async function runImport(
  store: LedgerStore,
  rows: LegacyRow[],
  windowMs: number,
): Promise<ImportOutcome> {
  const groups = groupRows(rows, windowMs);
  const outcome: ImportOutcome = {
    rows: rows.length,
    deployments: groups.length,
    imported: 0,
    alreadyImported: 0,
  };
  for (const group of groups) {
    const first = group[0];
    if (!first) continue;
    const done = await store.withEnvironment(first.repository, first.environment, (ledger) =>
      importGroup(ledger, group),
    );
    if (done) outcome.imported += 1;
    else outcome.alreadyImported += 1;
  }
  return outcome;
}

async function importGroup(ledger: EnvironmentLedger, group: LegacyRow[]): Promise<boolean> {
  const first = group[0] as LegacyRow;
  const key = importKey(first);
  if (await findByKey(ledger.tx, first.repository, first.environment, key)) return false;

  const [opening, ...rest] = group.flatMap(signalsOf).sort((a, b) => a.at.getTime() - b.at.getTime());
  if (!opening) return false;
  let openWith = opening;
  const active = isActive(opening.state)
    ? await findActive(ledger.tx, first.repository, first.environment)
    : null;
  if (active && active.createdAt <= first.createdAt) {
    await ledger.apply(active.id, superseded(first.createdAt, { superseded_by_key: key }));
  } else if (active) {
    // A newer deployment is active already: this one was over before it; its rows still go on the timeline.
    openWith = superseded(first.createdAt, { superseded_by: active.id });
    rest.unshift(opening);
  }
  const withRun = group.find((row) => row.runId !== null);
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
  const opened = await ledger.open(request, 'repair', openWith, first.createdAt);
  for (const signal of rest) await ledger.apply(opened.record.id, signal);
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

/** Derived from the deployment's first row, so a second import of the same history finds it. */
export function importKey(row: LegacyRow): string {
  const digest = createHash('sha256')
    .update([row.repository, row.environment, row.sha, row.createdAt.toISOString()].join('\n'))
    .digest('hex');
  return `import-${digest.slice(0, 24)}`;
}
