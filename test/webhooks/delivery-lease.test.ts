import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDeliveries, DELIVERIES, storeDelivery } from '../../server/db/deliveries.ts';
import { environmentLockName } from '../../server/db/environment-lock.ts';
import { startDeliveryWorker } from '../../server/jobs/delivery-worker.ts';
import { keepLeases } from '../../server/jobs/leases.ts';
import { createLogger } from '../../server/log.ts';
import { delivery, sample, setRepository } from '../helpers/deliveries.ts';
import { type LedgerDatabase, openLedgerDatabase } from '../helpers/ledger-db.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A claim whose fold outlasts its lease (here: the environment's lock held elsewhere) stays with
// the worker folding it, so another replica does not fold the same delivery a second time.
describe('a delivery worker keeps what it claimed while it works (PostgreSQL)', () => {
  let db: LedgerDatabase;
  beforeAll(async () => {
    db = await openLedgerDatabase('postgresql');
  });
  afterAll(() => db?.close());

  it('renews its lease while the fold waits, and the delivery is folded once', async () => {
    const payload = sample('deployment');
    setRepository(payload, 'acme/lease');
    Object.assign(payload.deployment, { id: 91_001, environment: 'production', payload: {} });
    const stored = delivery('deployment', payload);
    await storeDelivery(db.prisma, {
      deliveryId: stored.id,
      event: 'deployment',
      action: 'created',
      payload: stored.body,
    });

    // Another writer holds the environment's lock for longer than several leases.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [
      environmentLockName('acme/lease', 'production'),
    ]);
    const worker = startDeliveryWorker(
      {
        prisma: db.prisma,
        sql: db.sql,
        store: db.store,
        logger: createLogger('silent'),
        onDecision: () => {},
      },
      50,
      600,
    );
    try {
      await sleep(2_000);
      // Three leases have passed: another replica's claim finds the delivery still held.
      expect(await claimDeliveries(db.sql, { worker: 'other', limit: 10, leaseMs: 60_000 })).toEqual([]);
      await holder.query('SELECT pg_advisory_unlock_all()');
      let row: { attempts: number; done: boolean } | undefined;
      for (let i = 0; i < 100 && !row?.done; i++) {
        await sleep(50);
        [row] = await db.sql.query<{ attempts: number; done: boolean }>(
          'SELECT attempts, done_at IS NOT NULL AS done FROM webhook_delivery WHERE delivery_id = $1',
          [stored.id],
        );
      }
      expect(row).toEqual({ attempts: 1, done: true });
      const records = await db.sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM deployment WHERE repository_key = 'acme/lease'",
        [],
      );
      expect(records).toEqual([{ n: 1 }]);
    } finally {
      await holder.end();
      await worker.stop();
    }
  });

  it('renews only what is still being worked: a row whose work ended comes free when its lease does', async () => {
    for (const id of ['held-1', 'held-2'])
      await storeDelivery(db.prisma, { deliveryId: id, event: 'ping', action: null, payload: '{}' });
    const claimed = await claimDeliveries(db.sql, { worker: 'w', limit: 10, leaseMs: 600 });
    expect(claimed.map((d) => d.deliveryId)).toEqual(['held-1', 'held-2']);
    const leases = keepLeases(db.sql, DELIVERIES, 'w', 600, createLogger('silent'));
    try {
      leases.hold(['held-1', 'held-2']);
      await sleep(1_000);
      expect(await claimDeliveries(db.sql, { worker: 'other', limit: 10, leaseMs: 60_000 })).toEqual([]);
      // The work on held-2 ended without handing it back (the database went away mid-way).
      leases.drop(['held-2']);
      await sleep(1_000);
      const free = await claimDeliveries(db.sql, { worker: 'other', limit: 10, leaseMs: 60_000 });
      expect(free.map((d) => d.deliveryId)).toEqual(['held-2']);
    } finally {
      leases.stop();
    }
  });
});
