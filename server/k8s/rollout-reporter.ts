import { environmentLockName } from '../db/environment-lock.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import type { BatchedSignal } from '../db/signal-batch.ts';
import { type DeploymentRecord, isTerminal } from '../ledger/index.ts';
import type { Logger } from '../log.ts';
import {
  type CandidateLookup,
  type Correlation,
  correlateAll,
  NOTHING_TO_MATCH,
  objectRef,
  type WorkloadObject,
} from './correlation.ts';
import { RECHECK_FOR_MS } from './recheck.ts';
import { observeRollout, type RolloutObservation } from './rollout-signal.ts';
import type { WatchMetrics } from './watch-metrics.ts';
import type { WorkloadKind } from './workload-kinds.ts';

/** An object as the watch saw it, with its kind. */
export interface Observed {
  kind: WorkloadKind;
  object: WorkloadObject;
}

interface Report {
  key: string;
  seen: Observed;
  observation: RolloutObservation;
  by: 'annotations' | 'image';
  item: BatchedSignal;
}

// A burst of many environments is written as a few transactions at once, each of whole
// environments (their locks are disjoint, so they never wait on each other): PostgreSQL updates
// the rows of each on its own core. A small batch stays one transaction.
const MIN_PER_TRANSACTION = 100;
const MAX_TRANSACTIONS = 4;

/** The reports, in a few groups of whole environments (each environment's reports in order, in one group). */
export function splitByEnvironment<T extends { item: BatchedSignal }>(reports: T[]): T[][] {
  const parts = Math.min(MAX_TRANSACTIONS, Math.floor(reports.length / MIN_PER_TRANSACTION));
  if (parts <= 1) return [reports];
  const environments = new Map<string, T[]>();
  for (const report of reports) {
    const { repository, environment } = report.item.record;
    const name = environmentLockName(repository, environment);
    environments.set(name, [...(environments.get(name) ?? []), report]);
  }
  const groups: T[][] = Array.from({ length: parts }, () => []);
  for (const same of environments.values()) {
    const smallest = groups.reduce((a, b) => (b.length < a.length ? b : a));
    smallest.push(...same);
  }
  return groups.filter((group) => group.length > 0);
}

/**
 * Whether a record created later may still match an unmatched object: something on it names a
 * record, and its rollout is under way or ended lately (a status change of a rollout that ended
 * long ago, as an autoscaler's, is no deployment waiting for its record).
 */
function mayMatchLater(correlation: Correlation, observation: RolloutObservation): boolean {
  if (correlation.kind !== 'unmatched' || correlation.why === NOTHING_TO_MATCH) return false;
  return (
    observation.status.outcome !== 'complete' || Date.now() - observation.signal.at.getTime() < RECHECK_FOR_MS
  );
}

/** The record's last k8s step, or (several workloads or clusters) any workload's latest step. */
function alreadyReported(record: DeploymentRecord, lastReported: Map<string, string>, key: string): boolean {
  if (lastReported.get(record.id) === key) return true;
  return record.k8sRollouts?.progress.some((progress) => progress.observation === key) ?? false;
}

/**
 * Reports a batch of observed objects (queue key → newest object) to the ledger: one read
 * correlates them all with their records, the steps already reported or no longer the record's
 * story are dropped, and the rest are applied in one transaction (LedgerStore.applyMany). Resolves
 * the keys that failed, to be retried.
 */
export function createRolloutReporter(deps: {
  /** The cluster this watcher watches: every signal names it. */
  cluster: string;
  lookup: CandidateLookup;
  store: LedgerStore;
  metrics: WatchMetrics;
  logger: Logger;
  /**
   * Told of each object not worth another look: a record matched it, or it cannot match one later
   * (nothing on it names a record, several records match it, or its rollout ended long ago).
   */
  onSettled?: (key: string) => void;
}) {
  const { lookup, store, metrics, logger } = deps;
  // What was last logged about an object that is not reported, so each situation is logged once.
  const loggedUnreported = new Map<string, string>();

  function skipUnmatched(
    key: string,
    seen: Observed,
    observation: RolloutObservation,
    correlation: Correlation,
  ) {
    if (correlation.kind === 'matched') return;
    const { step } = observation.status;
    metrics.observed(step, correlation.kind);
    // Log each object's situation once, not on every resync.
    const situation = `${observation.key}:${correlation.kind === 'ambiguous' ? correlation.candidates.join(',') : ''}`;
    if (loggedUnreported.get(key) === situation) return;
    loggedUnreported.set(key, situation);
    const object = { kind: seen.kind.kind, ...objectRef(seen.object) };
    if (correlation.kind === 'ambiguous') {
      logger.warn(
        { ...object, step, candidate_deployment_ids: correlation.candidates },
        'kubernetes workload matches several active records by image: not recorded',
      );
    } else {
      logger.debug({ ...object, step, why: correlation.why }, 'kubernetes workload not linked to a record');
    }
  }

  /** The matched steps that are news for their record. */
  async function select(batch: Map<string, Observed>): Promise<Report[]> {
    const entries = [...batch];
    const { correlations, candidates } = await correlateAll(
      entries.map(([, seen]) => seen.object),
      lookup,
      deps.cluster,
    );
    const reports: Report[] = [];
    const lastReported = new Map(candidates.lastObservation);
    for (const [i, [key, seen]] of entries.entries()) {
      const observation = observeRollout(deps.cluster, seen.kind, seen.object);
      const correlation = correlations[i] as Correlation;
      if (correlation.kind !== 'matched') {
        skipUnmatched(key, seen, observation, correlation);
        if (!mayMatchLater(correlation, observation)) deps.onSettled?.(key);
        continue;
      }
      loggedUnreported.delete(key);
      deps.onSettled?.(key);
      const { record } = correlation;
      const { step, outcome } = observation.status;
      // A finished record only learns how its rollout ended: when it completed (the cluster's
      // time may be earlier than the one it was told), or that it failed if it was never
      // deployed (a record superseded mid-rollout: the protection gate waits for that news).
      // Waiting steps after the end (a scale, an HPA) are not its story.
      const ending = outcome === 'complete' || (outcome === 'failed' && record.deployedAt === null);
      if (isTerminal(record.state) && !ending) metrics.observed(step, 'record_finished');
      else if (alreadyReported(record, lastReported, observation.key))
        metrics.observed(step, 'already_reported');
      else {
        lastReported.set(record.id, observation.key);
        reports.push({
          key,
          seen,
          observation,
          by: correlation.by,
          item: { record, signal: observation.signal },
        });
      }
    }
    return reports;
  }

  /** All in one transaction; when that fails, one by one, so one bad signal does not hold up the rest. */
  async function apply(reports: Report[], failures: Map<string, unknown>) {
    try {
      return await store.applyMany(reports.map((report) => report.item));
    } catch (error) {
      if (reports.length === 1) throw error;
      logger.warn({ err: error, objects: reports.length }, 'kubernetes batch not recorded: one at a time');
      const results = [];
      for (const { key, item } of reports) {
        results.push(
          await store.apply(item.record.id, item.signal).catch((failure: unknown) => {
            failures.set(key, failure);
            return undefined;
          }),
        );
      }
      return results;
    }
  }

  /** Each group in its own transaction, at the same time; the results in the reports' order. */
  async function applyAll(reports: Report[], failures: Map<string, unknown>) {
    const groups = splitByEnvironment(reports);
    const results = new Map<Report, Awaited<ReturnType<typeof apply>>[number]>();
    await Promise.all(
      groups.map(async (group) => {
        try {
          const applied = await apply(group, failures);
          for (const [i, report] of group.entries()) results.set(report, applied[i]);
        } catch (error) {
          // Not written: retried (the other groups' transactions committed).
          for (const report of group) failures.set(report.key, error);
        }
      }),
    );
    return reports.map((report) => results.get(report));
  }

  return {
    async report(batch: Map<string, Observed>): Promise<Map<string, unknown>> {
      const failures = new Map<string, unknown>();
      const reports = await select(batch);
      if (reports.length === 0) return failures;
      const results = await applyAll(reports, failures);
      reports.forEach((report, i) => {
        const result = results[i];
        if (result === undefined) return; // failed: retried
        const { step } = report.observation.status;
        metrics.observed(step, 'reported');
        logger.info(
          {
            deployment_id: report.item.record.id,
            cluster: deps.cluster,
            kind: report.seen.kind.kind,
            ...objectRef(report.seen.object),
            revision: report.observation.signal.k8s?.revision ?? null,
            step,
            matched_by: report.by,
            applied: result?.applied ?? false,
            reason: result?.reason ?? null,
          },
          'kubernetes rollout step recorded',
        );
      });
      return failures;
    },
    /** An object was deleted: its next appearance is news again. */
    forget(key: string) {
      loggedUnreported.delete(key);
    },
  };
}
