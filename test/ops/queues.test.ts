import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDeliveries, DELIVERIES, storeDelivery } from '../../server/db/deliveries.ts';
import { claimJobs, enqueue, OUTBOX } from '../../server/db/outbox.ts';
import { complete, release, retry } from '../../server/db/queue.ts';
import {
  type DatabaseKind,
  deployThrough,
  type LedgerDatabase,
  openLedgerDatabase,
} from '../helpers/ledger-db.ts';

// The two queues (stored deliveries, the outbox) through their one module, server/db/queue.ts,
// on both databases: what an operator relies on when a worker dies, retries or shuts down.
describe.each<DatabaseKind>(['postgresql', 'embedded'])('queues on %s', (kind) => {
  let db: LedgerDatabase;
  beforeAll(async () => {
    db = await openLedgerDatabase(kind);
  });
  afterAll(() => db?.close());

  const rows = (sql: string) => db.sql.query<Record<string, unknown>>(sql, []);
  const claimed = async (worker: string, options: { leaseMs?: number; maxAttempts?: number } = {}) =>
    (
      await claimDeliveries(db.sql, { worker, limit: 10, leaseMs: options.leaseMs ?? 60_000, ...options })
    ).map((d) => d.deliveryId);

  it('deliveries: claimed in arrival order, once while leased, again when the lease ran out', async () => {
    for (const id of ['q-1', 'q-2', 'q-3'])
      await storeDelivery(db.prisma, { deliveryId: id, event: 'ping', action: null, payload: '{}' });
    await db.sql.query(
      "UPDATE webhook_delivery SET received_at = now() - interval '1 minute' WHERE delivery_id = 'q-3'",
      [],
    );
    expect(await claimed('a')).toEqual(['q-3', 'q-1', 'q-2']);
    expect(await claimed('b')).toEqual([]);
    expect(
      await rows("SELECT DISTINCT locked_by FROM webhook_delivery WHERE delivery_id LIKE 'q-%'"),
    ).toEqual([{ locked_by: 'a' }]);
    // Worker a died; its lease runs out.
    await db.sql.query(
      "UPDATE webhook_delivery SET locked_until = now() - interval '1 second' WHERE locked_by = 'a'",
      [],
    );
    expect(await claimed('b')).toEqual(['q-3', 'q-1', 'q-2']);
    await complete(db.sql, DELIVERIES, ['q-1', 'q-2', 'q-3']);
    expect(await claimed('c')).toEqual([]);
    expect(
      await rows(
        "SELECT attempts, locked_by, done_at IS NOT NULL AS done FROM webhook_delivery WHERE delivery_id = 'q-1'",
      ),
    ).toEqual([{ attempts: 2, locked_by: null, done: true }]);
  });

  it('deliveries: a retry waits for its run_at; after the last attempt it stays, undone, as a dead letter', async () => {
    await storeDelivery(db.prisma, { deliveryId: 'r-1', event: 'ping', action: null, payload: '{}' });
    expect(await claimed('a', { maxAttempts: 2 })).toEqual(['r-1']);
    await retry(db.sql, DELIVERIES, 'r-1', 'database went away', new Date(Date.now() + 60_000));
    expect(await claimed('a', { maxAttempts: 2 })).toEqual([]);
    await db.sql.query(
      "UPDATE webhook_delivery SET run_at = now() - interval '1 second' WHERE delivery_id = 'r-1'",
      [],
    );
    expect(await claimed('a', { maxAttempts: 2 })).toEqual(['r-1']);
    await retry(db.sql, DELIVERIES, 'r-1', 'database went away again', new Date());
    expect(await claimed('a', { maxAttempts: 2 })).toEqual([]);
    expect(
      await rows("SELECT attempts, last_error, done_at FROM webhook_delivery WHERE delivery_id = 'r-1'"),
    ).toEqual([{ attempts: 2, last_error: 'database went away again', done_at: null }]);
  });

  it('deliveries: one stored now is due now, in any part of the millisecond', async () => {
    await storeDelivery(db.prisma, { deliveryId: 'n-1', event: 'ping', action: null, payload: '{}' });
    // run_at is kept to the millisecond, rounded, so PostgreSQL's default now() in the second
    // half of a millisecond is stored a little after now() (PGlite's clock ticks in whole
    // milliseconds). In one transaction now() holds still: each one below stores run_at by its
    // default, claims at that same instant, and rolls back.
    const claims: string[][] = [];
    let roundedUp = 0;
    for (let i = 0; i < 200 && (claims.length < 20 || (kind === 'postgresql' && roundedUp < 3)); i += 1) {
      await db.database.withClient(async (client) => {
        await client.query('BEGIN');
        try {
          const { rows } = await client.query<{ sub: number }>(
            "UPDATE webhook_delivery SET run_at = DEFAULT WHERE delivery_id = 'n-1' RETURNING extract(microseconds FROM now())::int % 1000 AS sub",
          );
          if ((rows[0]?.sub ?? 0) >= 500) roundedUp += 1;
          const sql = {
            query: async <R>(text: string, params: unknown[]) =>
              (await client.query(text, params)).rows as R[],
          };
          const due = await claimDeliveries(sql, { worker: 'a', limit: 10, leaseMs: 60_000, maxAttempts: 2 });
          claims.push(due.map((d) => d.deliveryId));
        } finally {
          await client.query('ROLLBACK');
        }
      });
    }
    if (kind === 'postgresql') expect(roundedUp).toBeGreaterThanOrEqual(3);
    expect(new Set(claims.map((ids) => ids.join()))).toEqual(new Set(['n-1']));
    await complete(db.sql, DELIVERIES, ['n-1']);
  });

  it('deliveries: one given up is done and keeps why, and is never claimed', async () => {
    await storeDelivery(db.prisma, { deliveryId: 'g-1', event: 'ping', action: null, payload: '{}' });
    expect(await claimed('a', { maxAttempts: 2 })).toEqual(['g-1']);
    await complete(db.sql, DELIVERIES, ['g-1'], 'payload not understood');
    expect(await claimed('a', { maxAttempts: 2 })).toEqual([]);
    expect(
      await rows(
        "SELECT last_error, done_at IS NOT NULL AS done FROM webhook_delivery WHERE delivery_id = 'g-1'",
      ),
    ).toEqual([{ last_error: 'payload not understood', done: true }]);
  });

  it("outbox: only a deployment's oldest open job; a worker's leases handed back at shutdown", async () => {
    const one = await deployThrough(db.store, {
      environment: 'q1',
      startedAt: '2026-01-01T00:00:00Z',
      at: '2026-01-01T00:01:00Z',
      outcome: 'success',
    });
    const two = await deployThrough(db.store, {
      environment: 'q2',
      startedAt: '2026-01-01T00:00:00Z',
      at: '2026-01-01T00:01:00Z',
      outcome: 'success',
    });
    const job = (deploymentId: string, n: number) => ({
      deploymentId,
      kind: 'github.create_status' as const,
      payload: { n },
      dedupeKey: `${deploymentId}-${n}`,
    });
    await db.prisma.$transaction((tx) => enqueue(tx, job(one.id, 1), job(two.id, 1), job(one.id, 2)));
    const jobs = (worker: string) => claimJobs(db.sql, { worker, limit: 10, leaseMs: 60_000 });
    const first = await jobs('a');
    expect(first.map((j) => [j.deploymentId, j.payload.n])).toEqual([
      [one.id, 1],
      [two.id, 1],
    ]);
    expect(await jobs('b')).toEqual([]);
    await release(db.sql, OUTBOX, 'a');
    const again = await jobs('b');
    expect(again.map((j) => [j.deploymentId, j.payload.n, j.attempts])).toEqual([
      [one.id, 1, 2],
      [two.id, 1, 2],
    ]);
    await complete(db.sql, OUTBOX, [(again[0] as (typeof again)[0]).id]);
    expect((await jobs('c')).map((j) => [j.deploymentId, j.payload.n])).toEqual([[one.id, 2]]);
  });
});
