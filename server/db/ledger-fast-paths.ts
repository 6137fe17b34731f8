import { randomUUID } from 'node:crypto';
import {
  type Decision,
  decide,
  type GithubSyncJob,
  type NewDeployment,
  openingSignal,
  openRecord,
  planCreate,
  type Signal,
  type SignalSource,
} from '../ledger/index.ts';
import { insertOpened, readById, readForCreate, updateDecided } from './conditional-writes.ts';
import type { SqlRunner } from './deployment-sql.ts';
import type { DecisionListener } from './environment-lock.ts';
import { ACTIVE_INDEX, isUniqueViolation } from './errors.ts';
import { answerExisting, type CreateResult, retiresOthers, type SignalResult } from './ledger-results.ts';
import { timelineEntry } from './timeline.ts';

// The common cases in one read and one conditional write each (no transaction held across round
// trips). Whenever more needs deciding they answer null or 'locked' and the store takes its
// locked path, which decides the same way.

export interface FastPathDeps {
  sql: SqlRunner;
  jobsOf: (decision: Decision) => GithubSyncJob[];
  onDecision: DecisionListener;
}

/**
 * Opens a record or answers a replay, when nothing else needs deciding (no supersede, no
 * respelling, no auto-inactive). Null: take the locked path.
 */
export async function createAtOnce(
  deps: FastPathDeps,
  request: NewDeployment & { supersede: boolean },
  source: SignalSource,
  at: Date,
): Promise<CreateResult | null> {
  if (request.repositoryId != null) return null; // a repository id may rename records: locked path
  const { repository, environment, key } = request;
  const { byKey, active, newest, facts } = await readForCreate(
    deps.sql,
    repository,
    environment,
    key,
    request.sha,
  );
  // A replay answers what is stored: a retried request is no news about how names are spelled.
  if (byKey && byKey.record.fingerprint !== null) return answerExisting(request, byKey.record);
  const respelled =
    newest && (newest.record.repository !== repository || newest.record.environment !== environment);
  if (respelled) return null;
  const plan = planCreate(request, byKey?.record ?? null, active?.record ?? null);
  if (plan.kind === 'environment_busy') return plan;
  if (plan.kind !== 'create' || plan.supersede) return null;
  const now = new Date();
  const decision = openRecord(request, facts, randomUUID(), source, at, now);
  if (retiresOthers(decision)) return null;
  const signal = openingSignal(request, source, at);
  const event = timelineEntry(signal, decision, now);
  if (!(await insertOpened(deps.sql, decision.record, event, deps.jobsOf(decision)))) return null;
  deps.onDecision(signal, decision);
  return { kind: 'created', record: decision.record };
}

/** A signal decided and written in one conditional statement; null: no such record. */
export async function applyAtOnce(
  deps: FastPathDeps,
  id: string,
  signal: Signal,
): Promise<SignalResult | null | 'locked'> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const read = await readById(deps.sql, id);
    if (!read) return null;
    const now = new Date();
    const decision = decide(read.record, signal, now);
    if (retiresOthers(decision)) return 'locked';
    const event = timelineEntry(signal, decision, now);
    try {
      if (await updateDecided(deps.sql, read, decision.record, event, deps.jobsOf(decision))) {
        deps.onDecision(signal, decision);
        return { record: decision.record, applied: decision.applied, reason: decision.reason };
      }
    } catch (error) {
      if (isUniqueViolation(error, ACTIVE_INDEX)) return 'locked';
      throw error;
    }
    // Another writer changed the record since it was read: read and decide again.
  }
  return 'locked';
}
