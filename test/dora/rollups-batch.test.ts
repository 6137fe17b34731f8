import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeDora } from '../../server/dora/compute.ts';
import { resolveWindow } from '../../server/dora/window.ts';
import type { DeploymentRecord } from '../../server/ledger/index.ts';
import {
  type DatabaseKind,
  deployThrough,
  type LedgerDatabase,
  openLedgerDatabase,
} from '../helpers/ledger-db.ts';
import { aRequest } from '../helpers/records.ts';

// The rollups when one statement changes many records (the watcher's batch, a repair): they
// must be what a refresh of every day computes, and what the deployments themselves give.
const MINUTE = 60_000;
const REPOSITORY = 'acme/batched';
const ENVIRONMENTS = Array.from({ length: 12 }, (_, i) => `batch-${i}`);
const MARCH = resolveWindow({ since: '2026-03-01T00:00:00Z', until: '2026-04-01T00:00:00Z' });
const at = (iso: string, minutes = 0) => new Date(new Date(iso).getTime() + minutes * MINUTE).toISOString();

describe.each<DatabaseKind>(['embedded', 'postgresql'])(
  'multi-row DORA statements on the %s database',
  (kind) => {
    let db: LedgerDatabase;
    let opened = 0;

    /** Every rollup day as stored, in key order. */
    const rollupDays = () =>
      db.prisma.$queryRaw<unknown[]>`SELECT * FROM dora_day ORDER BY repository_key, environment_key, day`;

    /** The incremental rollups equal a recomputation of every day and the row-scanning figures. */
    const expectExact = async () => {
      if ('error' in MARCH) throw new Error(MARCH.error);
      const rollups = await computeDora(db.prisma, { repositories: [REPOSITORY] }, MARCH, 'rollups');
      expect(rollups).toEqual(
        await computeDora(db.prisma, { repositories: [REPOSITORY] }, MARCH, 'deployments'),
      );
      const incremental = await rollupDays();
      await db.prisma.$executeRaw`
      INSERT INTO dora_dirty (repository_key, environment_key, day)
      SELECT DISTINCT repository_key, environment_key, (COALESCE(deployed_at, completed_at) AT TIME ZONE 'UTC')::date
      FROM deployment
      WHERE deployed_at IS NOT NULL OR (state IN ('failure', 'error') AND completed_at IS NOT NULL)`;
      await db.prisma.$queryRaw`SELECT dora_refresh()`;
      expect(incremental).toEqual(await rollupDays());
      return rollups;
    };

    /** A record left in progress, begun at `startedAt`. */
    const begin = async (environment: string, startedAt: string): Promise<DeploymentRecord> => {
      opened += 1;
      const created = await db.store.create(
        {
          ...aRequest({
            repository: REPOSITORY,
            environment,
            key: `batch-${opened}`,
            sha: opened.toString(16).padStart(7, '0'),
            runId: null,
            runAttempt: null,
            fingerprint: `batch-${opened}`,
          }),
          supersede: false,
        },
        'action',
        new Date(startedAt),
      );
      if (created.kind !== 'created') throw new Error(`could not open a record: ${created.kind}`);
      return created.record;
    };

    beforeAll(async () => {
      db = await openLedgerDatabase(kind);
    });
    afterAll(async () => {
      await db?.close();
    });

    it('stays exact when one batch ends records of many environments in one statement', async () => {
      // Each environment: a success, then a failure (an incident) the batch's success restores or
      // the batch's failure prolongs, on days around midnight.
      const running: DeploymentRecord[] = [];
      for (const [i, environment] of ENVIRONMENTS.entries()) {
        const day = `2026-03-${String(10 + (i % 3)).padStart(2, '0')}T23:00:00Z`;
        await deployThrough(db.store, {
          repository: REPOSITORY,
          environment,
          startedAt: at(day, -600),
          at: at(day, -590),
          outcome: 'success',
        });
        await deployThrough(db.store, {
          repository: REPOSITORY,
          environment,
          startedAt: at(day, -30),
          at: at(day, -20),
          outcome: 'failure',
        });
        running.push(await begin(environment, at(day, 10 * (i % 4))));
      }
      await expectExact();
      const results = await db.store.applyMany(
        running.map((record, i) => ({
          record,
          signal: {
            source: 'action' as const,
            state: i % 5 === 4 ? ('failure' as const) : ('success' as const),
            at: new Date(at((record.startedAt as Date).toISOString(), 45 + 20 * (i % 3))),
          },
        })),
      );
      expect(results.every((result) => result?.applied)).toBe(true);
      const reports = await expectExact();
      const sum = (key: 'deployments' | 'failures' | 'incidents') =>
        reports.reduce((total, report) => total + report[key], 0);
      expect([sum('deployments'), sum('failures'), sum('incidents')]).toEqual([12 + 10, 12 + 2, 12]);
    });

    it('stays exact when one statement moves, fails and revives records across days', async () => {
      // What a repair or an operator's UPDATE can do to many rows at once: successes moved over
      // midnight, a failure turned into a success, a success into an error, a kind refined.
      await db.prisma.$executeRaw`
      UPDATE deployment SET
        deployed_at = CASE WHEN deployed_at IS NOT NULL AND environment_key IN ('batch-0', 'batch-3', 'batch-6')
                           THEN deployed_at + interval '90 minutes' ELSE deployed_at END,
        state = CASE WHEN environment_key = 'batch-4' AND state = 'failure' THEN 'success'
                     WHEN environment_key = 'batch-5' AND state = 'success' THEN 'error' ELSE state END,
        kind = CASE WHEN environment_key = 'batch-7' AND deployed_at IS NOT NULL THEN 'rollback' ELSE kind END
      WHERE repository_key = ${REPOSITORY}`;
      await db.prisma.$executeRaw`
      UPDATE deployment SET deployed_at = completed_at
      WHERE repository_key = ${REPOSITORY} AND state = 'success' AND deployed_at IS NULL`;
      await db.prisma.$executeRaw`
      UPDATE deployment SET deployed_at = NULL
      WHERE repository_key = ${REPOSITORY} AND state = 'error'`;
      await expectExact();
      await db.prisma
        .$executeRaw`DELETE FROM deployment WHERE environment_key IN ('batch-1', 'batch-2') AND state = 'failure'`;
      await expectExact();
    });
  },
);
