import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKind } from '../../server/db/deployment-kind.ts';
import { computeDora, type DoraReport } from '../../server/dora/compute.ts';
import { type DoraWindow, resolveWindow } from '../../server/dora/window.ts';
import { spoolLegacyFile } from '../../server/repair/import-spool.ts';
import { mergeGroup } from '../../server/repair/merge.ts';
import { runImport } from '../../server/repair/run-import.ts';
import {
  type DatabaseKind,
  deployThrough,
  type LedgerDatabase,
  openLedgerDatabase,
} from '../helpers/ledger-db.ts';

const MINUTE = 60_000;
const REPOSITORY = 'acme/rollups';

// Whole UTC days (the rollups answer them) with daily, weekly and 30-day trends.
const WINDOWS = [
  ['2026-03-01T00:00:00Z', '2026-03-08T00:00:00Z'],
  ['2026-03-03T00:00:00Z', '2026-03-04T00:00:00Z'],
  ['2026-02-20T00:00:00Z', '2026-03-22T00:00:00Z'],
  ['2026-02-01T00:00:00Z', '2026-05-01T00:00:00Z'],
  ['2025-12-01T00:00:00Z', '2026-06-01T00:00:00Z'],
].map(([since, until]) => {
  const window = resolveWindow({ since, until });
  if ('error' in window) throw new Error(window.error);
  return window;
});

const [FIRST_WEEK, , MARCH] = WINDOWS as [DoraWindow, DoraWindow, DoraWindow];

const at = (iso: string, minutes = 0) => new Date(new Date(iso).getTime() + minutes * MINUTE).toISOString();

describe.each<DatabaseKind>(['embedded', 'postgresql'])('DORA rollups on the %s database', (kind) => {
  let db: LedgerDatabase;
  const both = async (scope: { repositories: string[] | null; environment?: string }) => {
    const pairs: Array<[DoraReport[], DoraReport[]]> = [];
    for (const window of WINDOWS)
      pairs.push([
        await computeDora(db.prisma, scope, window, 'rollups'),
        await computeDora(db.prisma, scope, window, 'deployments'),
      ]);
    return pairs;
  };
  const expectSame = async () => {
    for (const [rollups, deployments] of await both({ repositories: null }))
      expect(rollups).toEqual(deployments);
  };
  const deploy = (
    environment: string,
    start: string,
    end: string,
    outcome: 'success' | 'failure' | 'error',
    sha?: string,
    commitAt?: string,
  ) =>
    deployThrough(db.store, {
      repository: REPOSITORY,
      environment,
      startedAt: start,
      at: end,
      outcome,
      ...(sha ? { sha } : {}),
      ...(commitAt ? { commitAt } : {}),
    });

  beforeAll(async () => {
    db = await openLedgerDatabase(kind);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('equals the row-scanning figures: failures, restores across days, rework', async () => {
    // production: a run of failures over midnight restored two days later, rollbacks, fixes.
    await deploy(
      'production',
      at('2026-03-01T10:00:00Z'),
      at('2026-03-01T10:10:00Z'),
      'success',
      'aaaaaaa',
      at('2026-03-01T08:00:00Z'),
    );
    await deploy('production', at('2026-03-02T23:00:00Z'), at('2026-03-02T23:50:00Z'), 'failure', 'bbbbbbb');
    await deploy('production', at('2026-03-03T00:10:00Z'), at('2026-03-03T00:20:00Z'), 'error', 'bbbbbbb');
    await deploy(
      'production',
      at('2026-03-03T00:30:00Z'),
      at('2026-03-04T09:00:00Z'),
      'success',
      'ccccccc',
      at('2026-03-02T12:00:00Z'),
    );
    await deploy(
      'production',
      at('2026-03-05T10:00:00Z'),
      at('2026-03-05T10:05:00Z'),
      'success',
      'aaaaaaa',
      at('2026-03-05T09:00:00Z'),
    );
    await deploy('production', at('2026-03-06T10:00:00Z'), at('2026-03-06T10:05:00Z'), 'failure', 'ddddddd');
    await deploy('production', at('2026-03-06T10:30:00Z'), at('2026-03-06T10:40:00Z'), 'success', 'eeeeeee');
    // staging: failures only, then a success weeks later.
    await deploy('staging', at('2026-02-25T10:00:00Z'), at('2026-02-25T10:10:00Z'), 'failure');
    await deploy('staging', at('2026-03-02T10:00:00Z'), at('2026-03-02T10:10:00Z'), 'failure');
    await deploy('staging', at('2026-03-25T10:00:00Z'), at('2026-03-25T10:10:00Z'), 'success');
    await expectSame();
    const [production] = await computeDora(
      db.prisma,
      { repositories: [REPOSITORY], environment: 'production' },
      FIRST_WEEK,
      'rollups',
    );
    // ccccccc 10 minutes after the error, aaaaaaa back over ccccccc, eeeeeee 25 minutes after a failure.
    expect(production).toMatchObject({ deployments: 4, failures: 3, incidents: 2, restored: 2, rework: 3 });
  });

  it('stays equal when a deployment arrives late, between days already counted', async () => {
    // A success on March 2nd reported after March 3rd–6th: it ends the run of failures earlier
    // (no: it comes before them) and makes March 5th's aaaaaaa no longer a rollback over ccccccc.
    await deploy('production', at('2026-03-02T12:00:00Z'), at('2026-03-02T12:30:00Z'), 'success', 'fffffff');
    // A success inside the run of failures: the run splits, the restore moves.
    await deploy('production', at('2026-03-03T00:12:00Z'), at('2026-03-03T00:15:00Z'), 'success', 'aaaaaaa');
    // A late failure just before a success on the 6th: that success becomes rework.
    await deploy('production', at('2026-03-06T10:20:00Z'), at('2026-03-06T10:25:00Z'), 'failure');
    await expectSame();
  });

  it('stays equal when a late record changes the figures of another day', async () => {
    // X, then X again two days later (a restart, no rework)…
    await deploy('late', at('2026-03-10T10:00:00Z'), at('2026-03-10T10:05:00Z'), 'success', 'abcabca');
    await deploy('late', at('2026-03-12T10:00:00Z'), at('2026-03-12T10:05:00Z'), 'success', 'abcabca');
    // …and a deployment begun on the 13th that took until the 15th.
    await deploy('late', at('2026-03-13T10:10:00Z'), at('2026-03-13T10:12:00Z'), 'success', '1111111');
    await deploy('late', at('2026-03-13T10:30:00Z'), at('2026-03-15T08:00:00Z'), 'success', '2222222');
    await expectSame();
    // Y between them arrives late: the 12th's X stays what it was when it opened (a redeploy of the
    // current X), as its kind is decided then, not when later records arrive.
    await deploy('late', at('2026-03-11T10:00:00Z'), at('2026-03-11T10:05:00Z'), 'success', 'fedfedf');
    // A failure on the 13th arrives late: the slow deployment began 25 minutes after it ended.
    await deploy('late', at('2026-03-13T09:55:00Z'), at('2026-03-13T10:05:00Z'), 'failure');
    await expectSame();
    const [late] = await computeDora(
      db.prisma,
      { repositories: [REPOSITORY], environment: 'late' },
      MARCH,
      'rollups',
    );
    expect(late).toMatchObject({ deployments: 5, rework: 2, reworkRollbacks: 0, reworkAfterFailure: 2 });
  });

  it("stays equal with rollbacks, and when GitHub's compare changes a kind later", async () => {
    const kinds = { repositories: [REPOSITORY], environment: 'kinds' };
    // Each deployment takes 5 minutes, except where said.
    const step = (start: string, outcome: 'success' | 'failure', sha: string, minutes = 5) =>
      deploy('kinds', at(start), at(start, minutes), outcome, sha);
    await step('2026-03-10T10:00:00Z', 'success', 'a1a1a1a');
    await step('2026-03-11T10:00:00Z', 'success', 'b2b2b2b');
    await step('2026-03-12T10:00:00Z', 'failure', 'c3c3c3c');
    // Back to a1a1a1a two hours after the failure: rework only as a rollback; it ends the incident.
    const back = await step('2026-03-12T12:05:00Z', 'success', 'a1a1a1a');
    await step('2026-03-14T10:00:00Z', 'success', 'd4d4d4d');
    // A failure late on the 16th, ended on the 17th by b2b2b2b (a rollback by the database's facts).
    await step('2026-03-16T23:00:00Z', 'failure', 'e5e5e5e');
    const again = await step('2026-03-17T02:00:00Z', 'success', 'b2b2b2b', 10);
    expect([back.kind, again.kind]).toEqual(['rollback', 'rollback']);
    await expectSame();
    const [before] = await computeDora(db.prisma, kinds, MARCH, 'rollups');
    expect(before).toMatchObject({
      deployments: 5,
      rework: 2,
      reworkRollbacks: 2,
      reworkAfterFailure: 0,
      incidents: 2,
      restored: 2,
      restoredByRollback: 2,
    });
    // GitHub's compare: b2b2b2b is ahead of d4d4d4d, no rollback. The 17th's rework and the 16th's
    // recovery (another day than the record's) change.
    expect(await writeKind(db.prisma, again, 'forward')).toBe(true);
    await expectSame();
    const [after] = await computeDora(db.prisma, kinds, MARCH, 'rollups');
    expect(after).toMatchObject({ rework: 1, reworkRollbacks: 1, restored: 2, restoredByRollback: 1 });
  });

  it('stays equal when a record changes state days after it began', async () => {
    await deploy('qa', at('2026-03-01T10:00:00Z'), at('2026-03-04T10:00:00Z'), 'success', 'aaaaaaa');
    await deploy('qa', at('2026-03-04T11:00:00Z'), at('2026-03-07T01:00:00Z'), 'failure');
    // Superseded successes turn inactive; they still count where they were deployed.
    await deploy('qa', at('2026-03-07T02:00:00Z'), at('2026-03-07T02:10:00Z'), 'success', 'bbbbbbb');
    await expectSame();
  });

  it('marks days only when a change can alter a figure', async () => {
    const marks = async () =>
      Number(
        (
          await db.prisma.$queryRaw<Array<{ n: bigint }>>`
            SELECT (SELECT count(*) FROM dora_dirty) + (SELECT count(*) FROM dora_dirty_since) AS n`
        )[0]?.n,
      );
    await deploy('marks', at('2026-03-12T10:00:00Z'), at('2026-03-12T10:10:00Z'), 'success', 'ccccccc');
    await deploy('marks', at('2026-03-13T10:00:00Z'), at('2026-03-13T10:10:00Z'), 'failure');
    await db.prisma.$queryRaw`SELECT dora_refresh()`;
    expect(await marks()).toBe(0);
    // What a status in progress or a report's details change: no figure reads them.
    await db.prisma.$executeRaw`
      UPDATE deployment SET description = 'checked', log_url = 'https://ci.example/1', updated_at = now()
      WHERE environment_key = 'marks'`;
    expect(await marks()).toBe(0);
    await db.prisma.$executeRaw`
      UPDATE deployment SET deployed_at = deployed_at + interval '1 minute'
      WHERE environment_key = 'marks' AND deployed_at IS NOT NULL`;
    expect(await marks()).toBeGreaterThan(0);
    await db.prisma.$queryRaw`SELECT dora_refresh()`;
    await db.prisma.$executeRaw`
      UPDATE deployment SET state = 'error' WHERE environment_key = 'marks' AND state = 'failure'`;
    expect(await marks()).toBe(0);
    await db.prisma.$executeRaw`
      UPDATE deployment SET state = 'success', deployed_at = completed_at WHERE environment_key = 'marks' AND state = 'error'`;
    expect(await marks()).toBeGreaterThan(0);
    await expectSame();
  });

  it('stays equal after a duplicate is merged into its survivor', async () => {
    const survivor = await deploy(
      'merge',
      at('2026-03-03T10:00:00Z'),
      at('2026-03-03T10:05:00Z'),
      'failure',
      '1234567',
    );
    const duplicate = await deploy(
      'merge',
      at('2026-03-03T10:01:00Z'),
      at('2026-03-04T10:00:00Z'),
      'success',
      '1234567',
    );
    await deploy('merge', at('2026-03-05T10:00:00Z'), at('2026-03-05T10:05:00Z'), 'success', '7654321');
    await expectSame();
    const merged = await db.store.inEnvironment(REPOSITORY, 'merge', (ledger) =>
      mergeGroup(ledger, survivor.id, [duplicate.id]),
    );
    expect(merged).toBe(true);
    await expectSame();
  });

  it('stays equal after an import into environments with a history', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'deployledger-rollups-'));
    try {
      const file = path.join(dir, 'history.csv');
      const lines = ['repository,environment,sha,status,created_at,deployed_at'];
      for (let i = 0; i < 40; i++) {
        const start = at('2026-02-26T00:00:00Z', i * 173);
        const status = i % 5 === 3 ? 'failed' : i % 7 === 0 ? 'running' : 'success';
        const deployed = status === 'success' ? at(start, 4) : '';
        lines.push(
          `${REPOSITORY},${i % 2 ? 'production' : 'imported'},${(i % 9).toString(16).repeat(7)},${status},${start},${deployed}`,
        );
      }
      writeFileSync(file, `${lines.join('\n')}\n`);
      const spool = await spoolLegacyFile(file);
      try {
        await runImport(db.database, spool, 60_000);
      } finally {
        spool.remove();
      }
      await expectSame();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives medians within 2 % once a day has more distinct values than it keeps exactly', async () => {
    for (let i = 0; i < 30; i++)
      await deploy(
        'busy',
        at('2026-03-10T01:00:00Z', i * 20),
        at('2026-03-10T01:05:00Z', i * 20),
        'success',
        undefined,
        at('2026-03-09T00:00:00Z', i * 37 + (i % 3) * 600),
      );
    const scope = { repositories: [REPOSITORY], environment: 'busy' };
    const [[rollups], [deployments]] = await Promise.all([
      computeDora(db.prisma, scope, MARCH, 'rollups'),
      computeDora(db.prisma, scope, MARCH, 'deployments'),
    ]);
    expect(rollups?.leadTimeSamples).toBe(30);
    const [estimated, exact] = [rollups?.leadTimeSeconds ?? 0, deployments?.leadTimeSeconds ?? 1];
    expect(estimated).not.toBe(exact);
    expect(Math.abs(estimated / exact - 1)).toBeLessThan(0.02);
    expect({ ...rollups, leadTimeSeconds: 0, trend: [] }).toEqual({
      ...deployments,
      leadTimeSeconds: 0,
      trend: [],
    });
  });
});
