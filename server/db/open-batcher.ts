import { type OpenItem, openMany } from './batched-opens.ts';
import { type OpenOutcome, openUnlessTaken } from './conditional-writes.ts';
import type { SqlRunner } from './deployment-sql.ts';
import { environmentLockName } from './environment-lock.ts';

// Group commit for creates. A create's own statement costs PostgreSQL far more than its row:
// the transaction, the commit's WAL flush and the round trip (docs/benchmarks.md). So while
// `parallel` statements are in flight, creates that arrive wait and go together in the next
// one (openMany), each still decided by the core and reported back on its own. A create that
// finds a free slot goes at once, alone: no added latency when the server is not busy. A batch
// holds each environment once; a second create for an environment already in it (a burst on one
// environment, a replayed key) goes alone at once, as every create did before: those queue on
// the environment's lock anyway.

/** Opens a record unless taken (openUnlessTaken's contract), however the statement is shared. */
export type Opener = (item: OpenItem) => Promise<OpenOutcome>;

interface Waiting {
  item: OpenItem;
  resolve: (outcome: OpenOutcome) => void;
  reject: (error: unknown) => void;
}

export interface BatcherOptions {
  /** Statements in flight at once (of the pool's connections). */
  parallel: number;
  /** Creates in one statement at most. */
  maxBatch: number;
}

export function openBatcher(sql: SqlRunner, options: BatcherOptions = { parallel: 4, maxBatch: 64 }): Opener {
  const queue: Waiting[] = [];
  let inFlight = 0;

  const alone = async ({ item, resolve, reject }: Waiting) => {
    try {
      resolve(await openUnlessTaken(sql, item.record, item.assumed, item.event, item.jobs));
    } catch (error) {
      reject(error);
    }
  };

  const together = async (batch: Waiting[]) => {
    let outcomes: OpenOutcome[];
    try {
      outcomes = await openMany(
        sql,
        batch.map((waiting) => waiting.item),
      );
    } catch {
      // The whole statement rolled back (a deadlock with another writer, a lost connection):
      // each create alone, so one create's error is reported to that create only.
      await Promise.all(batch.map(alone));
      return;
    }
    for (const [i, waiting] of batch.entries()) waiting.resolve(outcomes[i] as OpenOutcome);
  };

  /** The next batch off the queue: one create per environment; the others go alone. */
  const take = (): Waiting[] => {
    const batch: Waiting[] = [];
    const environments = new Set<string>();
    while (batch.length < options.maxBatch && queue.length > 0) {
      const waiting = queue.shift() as Waiting;
      const { repository, environment } = waiting.item.record;
      const lock = environmentLockName(repository, environment);
      if (environments.has(lock)) void alone(waiting);
      else {
        environments.add(lock);
        batch.push(waiting);
      }
    }
    return batch;
  };

  const pump = () => {
    while (inFlight < options.parallel && queue.length > 0) {
      const batch = take();
      inFlight++;
      const run = batch.length === 1 ? alone(batch[0] as Waiting) : together(batch);
      void run.finally(() => {
        inFlight--;
        pump();
      });
    }
  };

  return (item) =>
    new Promise<OpenOutcome>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      pump();
    });
}
