import { Gauge, type Registry } from 'prom-client';
import type { SqlRunner } from '../db/deployment-sql.ts';
import { DELIVERY_MAX_ATTEMPTS } from './delivery-worker.ts';

/**
 * The queues' rows not done, read at scrape time: stored deliveries waiting to be folded, and
 * those given up after their last attempt (dead letters, which nothing retries: an operator's to
 * look at, see docs/operations.md); outbox calls to GitHub not made yet.
 */
export function registerQueueMetrics(registry: Registry, sql: SqlRunner): void {
  new Gauge({
    name: 'deployledger_queue_rows',
    help: 'Rows of the queues not done: webhook_delivery waiting or dead (given up after its last attempt), outbox_job waiting',
    labelNames: ['queue', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await sql
        .query<{ queue: string; status: string; n: number }>(
          `SELECT 'webhook_delivery' AS queue, CASE WHEN attempts >= $1 THEN 'dead' ELSE 'waiting' END AS status,
                  count(*)::int AS n
             FROM webhook_delivery WHERE done_at IS NULL GROUP BY 2
           UNION ALL
           SELECT 'outbox_job', 'waiting', count(*)::int FROM outbox_job WHERE done_at IS NULL`,
          [DELIVERY_MAX_ATTEMPTS],
        )
        .catch(() => []); // the database is away: the gauge is left out of this scrape
      for (const status of ['waiting', 'dead']) this.set({ queue: 'webhook_delivery', status }, 0);
      for (const row of rows) this.set({ queue: row.queue, status: row.status }, row.n);
    },
  });
}
