import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { LedgerStore } from '../../server/db/ledger-store.ts';
import type { BatchedSignal } from '../../server/db/signal-batch.ts';
import { createRolloutReporter, type Observed } from '../../server/k8s/rollout-reporter.ts';
import { createWatchMetrics } from '../../server/k8s/watch-metrics.ts';
import { WORKLOADS } from '../../server/k8s/workload-kinds.ts';
import { rolloutSteps } from '../helpers/k8s-deployments.ts';
import { aRecord } from '../helpers/records.ts';

/** `count` in-progress records, one per environment (`per` records share one), each with its completed Deployment. */
function burst(count: number, per = 1) {
  const records = Array.from({ length: count }, (_, i) =>
    aRecord({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      environment: `env-${Math.floor(i / per)}`,
      key: `${i}-1`,
      state: 'in_progress',
    }),
  );
  const batch = new Map<string, Observed>();
  for (const [i, record] of records.entries()) {
    const steps = rolloutSteps(
      {
        namespace: 'burst',
        name: `app-${i}`,
        annotations: {
          'deployledger.dev/repository': record.repository,
          'deployledger.dev/environment': record.environment,
          'deployledger.dev/key': record.key,
        },
      },
      {
        image: `ghcr.io/acme/shop:${record.sha}`,
        previousImage: 'ghcr.io/acme/shop:old',
        revision: 2,
        startedAt: new Date(),
      },
    );
    batch.set(`Deployment/burst/app-${i}`, { kind: WORKLOADS.Deployment, object: steps.complete });
  }
  return { records, batch };
}

/** A store that records each transaction (applyMany call) and fails those holding `failing`'s environment. */
function recordingStore(failing?: string) {
  const transactions: BatchedSignal[][] = [];
  const store = {
    async applyMany(items: BatchedSignal[]) {
      transactions.push(items);
      if (failing && items.some((item) => item.record.environment === failing))
        throw new Error('database down');
      return items.map((item) => ({
        record: { ...item.record, state: 'success' },
        applied: true,
        reason: null,
      }));
    },
    async apply() {
      throw new Error('database down');
    },
  };
  return { transactions, store: store as unknown as LedgerStore };
}

function reporterWith(records: ReturnType<typeof burst>['records'], store: LedgerStore) {
  return createRolloutReporter({
    cluster: 'test',
    lookup: async () => ({ named: records, active: [], lastObservation: new Map() }),
    store,
    metrics: createWatchMetrics(new Registry()).forCluster('test', { streams: () => [], pending: () => 0 }),
    logger: pino({ level: 'silent' }),
  });
}

const environmentsOf = (items: BatchedSignal[]) => new Set(items.map((item) => item.record.environment));

describe('rollout reporter, a burst of many environments', () => {
  it('writes a small batch as one transaction', async () => {
    const { records, batch } = burst(40);
    const { transactions, store } = recordingStore();
    expect(await reporterWith(records, store).report(batch)).toEqual(new Map());
    expect(transactions).toHaveLength(1);
  });

  it('writes a large one as a few transactions at once, each of whole environments, every record once', async () => {
    const { records, batch } = burst(450, 3);
    const { transactions, store } = recordingStore();
    expect(await reporterWith(records, store).report(batch)).toEqual(new Map());
    expect(transactions.length).toBeGreaterThan(1);
    expect(transactions.length).toBeLessThanOrEqual(4);
    const written = transactions.flat().map((item) => item.record.id);
    expect(new Set(written).size).toBe(450);
    expect(written).toHaveLength(450);
    const seen = new Set<string>();
    for (const items of transactions) {
      for (const environment of environmentsOf(items)) {
        expect(seen.has(environment)).toBe(false);
        seen.add(environment);
      }
      // Within an environment, the order they were observed in.
      const ids = items.map((item) => item.record.id);
      expect(ids).toEqual([...ids].sort());
    }
  });

  it('retries only the objects of a transaction that failed; the others are recorded', async () => {
    const { records, batch } = burst(300);
    const { transactions, store } = recordingStore('env-7');
    const failures = await reporterWith(records, store).report(batch);
    const failed = transactions.find((items) => environmentsOf(items).has('env-7')) as BatchedSignal[];
    expect(failures.size).toBeGreaterThan(0);
    expect(failures.size).toBeLessThan(300);
    // The failed transaction's objects (written one at a time, failing too) and no others.
    expect([...failures.keys()].sort()).toEqual(
      failed.map((item) => `Deployment/burst/app-${Number(item.record.key.split('-')[0])}`).sort(),
    );
  });
});
