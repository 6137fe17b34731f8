import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeDora, type DoraReport } from '../../server/dora/compute.ts';
import { type DoraWindow, resolveWindow } from '../../server/dora/window.ts';
import {
  type DatabaseKind,
  deployThrough,
  type LedgerDatabase,
  openLedgerDatabase,
} from '../helpers/ledger-db.ts';

const HOUR = 3600;
const REPOSITORY = 'acme/dora';

function window(since: string, until: string): DoraWindow {
  const resolved = resolveWindow({ since, until });
  if ('error' in resolved) throw new Error(resolved.error);
  return resolved;
}

const MARCH = window('2026-03-01T00:00:00Z', '2026-03-08T00:00:00Z');

describe.each<DatabaseKind>(['embedded', 'postgresql'])('DORA figures on the %s database', (kind) => {
  let db: LedgerDatabase;
  const report = async (environment: string, w: DoraWindow = MARCH): Promise<DoraReport> => {
    const [only] = await computeDora(db.prisma, { repositories: [REPOSITORY], environment }, w);
    if (!only) throw new Error(`no report for ${environment}`);
    return only;
  };

  beforeAll(async () => {
    db = await openLedgerDatabase(kind);
    const seed = (
      environment: string,
      at: string,
      outcome: 'success' | 'failure' | 'error',
      commitAt?: string,
      sha?: string,
    ) =>
      deployThrough(db.store, {
        environment,
        startedAt: new Date(new Date(at).getTime() - 10 * 60_000).toISOString(),
        at,
        outcome,
        ...(commitAt ? { commitAt } : {}),
        ...(sha ? { sha } : {}),
      });
    // production: 3 successes, a run of 2 failures restored 2h30m after the first.
    await seed('production', '2026-03-01T10:30:00Z', 'success', '2026-03-01T09:00:00Z');
    await seed('production', '2026-03-02T11:20:00Z', 'failure');
    await seed('production', '2026-03-02T12:10:00Z', 'failure');
    await seed('production', '2026-03-02T13:50:00Z', 'success', '2026-03-02T11:00:00Z');
    await seed('production', '2026-03-05T01:00:00Z', 'success', '2026-03-04T00:00:00Z');
    // outside: its only deployment is before the window.
    await seed('outside', '2026-02-01T00:00:00Z', 'success', '2026-01-31T00:00:00Z');
    // only-failures: a failure, a failure, an error.
    await seed('only-failures', '2026-03-01T01:00:00Z', 'failure');
    await seed('only-failures', '2026-03-03T01:00:00Z', 'failure');
    await seed('only-failures', '2026-03-06T01:00:00Z', 'error');
    // unrestored: a success, then a failure nothing has fixed.
    await seed('unrestored', '2026-03-01T01:00:00Z', 'success', '2026-03-01T00:30:00Z');
    await seed('unrestored', '2026-03-03T00:00:00Z', 'failure');
    // restored-late: fails inside the window, fixed two days after it ends.
    await seed('restored-late', '2026-03-07T00:00:00Z', 'failure');
    await seed('restored-late', '2026-03-09T00:00:00Z', 'success');
    // boundary: a run of failures that began before the window, fixed inside it.
    await seed('boundary', '2026-02-28T23:00:00Z', 'failure');
    await seed('boundary', '2026-03-01T00:30:00Z', 'failure');
    await seed('boundary', '2026-03-01T02:00:00Z', 'success');
    // edges: successes exactly at since (counted) and exactly at until (not counted).
    await seed('edges', '2026-03-01T00:00:00.000Z', 'success');
    await seed('edges', '2026-03-08T00:00:00.000Z', 'success');
    // rework: each deployment starts 10 minutes before it ends.
    await seed('rework', '2026-03-01T10:00:00Z', 'success', undefined, 'aaaaaaa');
    await seed('rework', '2026-03-02T10:00:00Z', 'success', undefined, 'bbbbbbb');
    await seed('rework', '2026-03-03T10:00:00Z', 'success', undefined, 'aaaaaaa'); // rollback to a
    await seed('rework', '2026-03-03T12:00:00Z', 'success', undefined, 'aaaaaaa'); // a again: no rework
    await seed('rework', '2026-03-04T10:00:00Z', 'failure', undefined, 'ccccccc');
    await seed('rework', '2026-03-04T10:30:00Z', 'success', undefined, 'ddddddd'); // 20 min after it: fix
    await seed('rework', '2026-03-05T10:00:00Z', 'failure', undefined, 'eeeeeee');
    await seed('rework', '2026-03-05T12:00:00Z', 'success', undefined, 'fffffff'); // 110 min after: planned
    await seed('rework', '2026-03-06T10:00:00Z', 'failure', undefined, '1111111');
    await seed('rework', '2026-03-06T10:10:00Z', 'success', undefined, 'ddddddd'); // both: counted once
    // case-rework: one environment spelled three ways; the rollback's sha in capitals.
    await seed('case-rework', '2026-03-01T10:00:00Z', 'success', undefined, 'abcdef1');
    await seed('Case-Rework', '2026-03-02T10:00:00Z', 'success', undefined, 'bbbbbbb');
    await seed('CASE-REWORK', '2026-03-03T10:00:00Z', 'success', undefined, 'ABCDEF1');
    // rolled-back-late: fails inside the window, recovered by a rollback to a after it ends.
    await seed('rolled-back-late', '2026-03-01T10:00:00Z', 'success', undefined, 'aaaaaaa');
    await seed('rolled-back-late', '2026-03-02T10:00:00Z', 'success', undefined, 'bbbbbbb');
    await seed('rolled-back-late', '2026-03-07T00:00:00Z', 'failure', undefined, 'ccccccc');
    await seed('rolled-back-late', '2026-03-09T00:00:00Z', 'success', undefined, 'aaaaaaa');
    // tz: 23:30 on March 1st in New York is 04:30 on March 2nd in UTC.
    await seed('tz', '2026-03-01T23:30:00-05:00', 'success', '2026-03-01T22:30:00-05:00');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('works out a mixed week by hand: 3 successes, a run of 2 failures, one restore', async () => {
    const r = await report('production');
    expect(r).toMatchObject({
      deployments: 3,
      frequencyBand: 'high', // 3 / 7 days ≈ 0.43 a day: between weekly and daily
      failures: 2,
      changeFailureBand: 'low', // 2 of 5 = 40 %: low's published rate
      leadTimeSamples: 3,
      leadTimeSeconds: 10_200, // median of 1h30, 2h50, 25h
      leadTimeBand: 'elite', // under a day
      incidents: 1,
      restored: 1,
      timeToRestoreSeconds: 2.5 * HOUR, // first failure 11:20 → success 13:50
      restoreBand: 'high',
    });
    expect(r.deploymentsPerDay).toBeCloseTo(3 / 7, 10);
    expect(r.changeFailureRate).toBeCloseTo(0.4, 10);
    expect(r.trend.map((p) => [p.deployments, p.failures])).toEqual([
      [1, 0],
      [1, 2],
      [0, 0],
      [0, 0],
      [1, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(r.trend[1]).toMatchObject({ timeToRestoreSeconds: 2.5 * HOUR, leadTimeSeconds: 10_200 });
    expect(r.trend[0]?.start.toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });

  it('reports no deployments in the window as zeros without a band', async () => {
    for (const environment of ['outside', 'never-deployed']) {
      expect(await report(environment)).toMatchObject({
        deployments: 0,
        deploymentsPerDay: 0,
        frequencyBand: null,
        leadTimeSeconds: null,
        leadTimeBand: null,
        failures: 0,
        changeFailureRate: null,
        changeFailureBand: null,
        incidents: 0,
        timeToRestoreSeconds: null,
        restoreBand: null,
      });
    }
  });

  it('counts only failures as a 100 % failure rate and one unrestored incident', async () => {
    expect(await report('only-failures')).toMatchObject({
      deployments: 0,
      frequencyBand: null,
      failures: 3,
      changeFailureRate: 1,
      changeFailureBand: 'low',
      incidents: 1,
      restored: 0,
      timeToRestoreSeconds: null,
      restoreBand: null,
    });
  });

  it('leaves a failure never restored out of the restore time, but counts it', async () => {
    expect(await report('unrestored')).toMatchObject({
      deployments: 1,
      leadTimeSeconds: 30 * 60,
      leadTimeBand: 'elite',
      failures: 1,
      changeFailureRate: 0.5,
      changeFailureBand: 'low',
      incidents: 1,
      restored: 0,
      timeToRestoreSeconds: null,
    });
  });

  it('restores an incident of the window by a success after the window ends', async () => {
    expect(await report('restored-late')).toMatchObject({
      deployments: 0,
      failures: 1,
      incidents: 1,
      restored: 1,
      timeToRestoreSeconds: 48 * HOUR,
      restoreBand: 'medium',
    });
  });

  it('includes since and excludes until, and leaves an incident begun before the window out', async () => {
    expect(await report('edges')).toMatchObject({ deployments: 1 });
    expect(await report('edges', window('2026-03-08T00:00:00Z', '2026-03-09T00:00:00Z'))).toMatchObject({
      deployments: 1,
      frequencyBand: 'high', // once a day; elite is more than once
    });
    expect(await report('boundary')).toMatchObject({
      deployments: 1,
      failures: 1,
      incidents: 0,
      restored: 0,
    });
    expect(await report('boundary', window('2026-02-28T00:00:00Z', '2026-03-08T00:00:00Z'))).toMatchObject({
      failures: 2,
      incidents: 1,
      timeToRestoreSeconds: 3 * HOUR,
    });
  });

  it('treats times with offsets as instants, in the window and in the trend', async () => {
    const inBerlin = window('2026-03-01T01:00:00+01:00', '2026-03-08T01:00:00+01:00');
    expect(inBerlin.since.toISOString()).toBe(MARCH.since.toISOString());
    const [a, b] = [await report('production'), await report('production', inBerlin)];
    expect(b).toEqual(a);
    const tz = await report('tz');
    expect(tz).toMatchObject({ deployments: 1, leadTimeSeconds: HOUR });
    expect(tz.trend.map((p) => p.deployments)).toEqual([0, 1, 0, 0, 0, 0, 0]);
    // Buckets start at `since`: a window starting at midnight in New York puts it on March 1st.
    const newYork = await report('tz', window('2026-03-01T00:00:00-05:00', '2026-03-08T00:00:00-05:00'));
    expect(newYork.trend.map((p) => p.deployments)).toEqual([1, 0, 0, 0, 0, 0, 0]);
  });

  it('counts deployment rework: a rollback to an earlier sha, a deployment soon after a failure', async () => {
    const r = await report('rework');
    expect(r).toMatchObject({
      deployments: 7,
      rework: 3,
      reworkRollbacks: 2, // a over b; d over f
      reworkAfterFailure: 2, // 20 and 10 minutes after a failure; not 110
    });
    expect(r.reworkRate).toBeCloseTo(3 / 7, 10);
    expect(r.trend.map((p) => p.reworkRate)).toEqual([0, 0, 0.5, 1, 0, 1, null]);
    expect(await report('production')).toMatchObject({ rework: 0, reworkRate: 0 });
    expect(await report('outside')).toMatchObject({ rework: 0, reworkRate: null });
    // Names and shas compare as the ledger compares them (case-insensitively).
    expect(await report('case-rework')).toMatchObject({ deployments: 3, rework: 1, reworkRollbacks: 1 });
  });

  it('leaves successes without a commit time out of the lead time instead of counting 0 seconds', async () => {
    // rework: seven successes, none with a commit time.
    expect(await report('rework')).toMatchObject({
      deployments: 7,
      leadTimeSamples: 0,
      leadTimeSeconds: null,
      leadTimeBand: null,
    });
  });

  it('says how many recoveries were rollbacks: the success that ended the failure was one', async () => {
    // c failed, d (new) fixed it; e failed, f (new) fixed it; 1 failed, d again (a rollback) fixed it.
    expect(await report('rework')).toMatchObject({ incidents: 3, restored: 3, restoredByRollback: 1 });
    expect(await report('production')).toMatchObject({ restored: 1, restoredByRollback: 0 });
    // The recovering success may come after the window.
    expect(await report('rolled-back-late')).toMatchObject({
      incidents: 1,
      restored: 1,
      restoredByRollback: 1,
      timeToRestoreSeconds: 48 * HOUR,
    });
  });
});
