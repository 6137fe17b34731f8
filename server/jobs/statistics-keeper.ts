import type { Database } from '../db/database.ts';
import { analyzeGrownTables } from '../db/planner-statistics.ts';
import type { Logger } from '../log.ts';
import { Poller } from './poller.ts';

/**
 * How often the tables' sizes are compared with their statistics (one catalog read). A burst on a
 * new database doubles a table every few seconds: checked every minute, its first minute ran on
 * plans made for an empty table (the bench's creates and deliveries did, measured in
 * docs/benchmarks-history.md); an ANALYZE follows only a doubling, a few in a table's life.
 */
const INTERVAL_MS = 5_000;

/**
 * Keeps the planner's statistics of the tables the prepared statements read no older than half
 * their size (planner-statistics.ts), on PostgreSQL: the embedded database prepares nothing.
 */
export function startStatisticsKeeper(db: Database, logger: Logger) {
  if (db.kind !== 'postgresql') return { stop: async () => {} };
  const poller = new Poller(
    async () => {
      const analyzed = await analyzeGrownTables(db.sql);
      if (analyzed.length) logger.info({ tables: analyzed }, 'planner statistics refreshed');
      return false;
    },
    INTERVAL_MS,
    (error) => logger.warn({ err: error }, 'planner statistics could not be refreshed'),
  ).start();
  return { stop: () => poller.stop() };
}
