import type { SqlRunner } from '../db/deployment-sql.ts';
import { type QueueTable, renew } from '../db/queue.ts';
import type { Logger } from '../log.ts';

export interface Leases {
  /** Rows just claimed: renewed until dropped. */
  hold(ids: Array<string | bigint>): void;
  /** Rows whose work ended, however it ended: left to their lease from now on. */
  drop(ids: Array<string | bigint>): void;
  stop(): void;
}

/**
 * Renews, a few times a lease, the leases of the rows a worker is working on, so a claim whose
 * work outlasts one lease (a large fold on a slow database) is not claimed a second time by
 * another replica while it is still being worked. Only rows held and not yet dropped: a row
 * whose hand-back failed (the database went away mid-way) still comes free when its lease ends.
 */
export function keepLeases(
  sql: SqlRunner,
  queue: QueueTable,
  worker: string,
  leaseMs: number,
  logger: Logger,
): Leases {
  const held = new Set<string>();
  const timer = setInterval(() => {
    if (held.size === 0) return;
    renew(sql, queue, worker, [...held], leaseMs).catch((error: unknown) =>
      logger.warn({ err: error, worker, queue: queue.table }, 'leases not renewed; tried again shortly'),
    );
  }, leaseMs / 3);
  timer.unref();
  return {
    hold: (ids) => {
      for (const id of ids) held.add(String(id));
    },
    drop: (ids) => {
      for (const id of ids) held.delete(String(id));
    },
    stop: () => clearInterval(timer),
  };
}
