import { type OpenItem, openMany } from './batched-opens.ts';
import { type OpenOutcome, openUnlessTaken } from './conditional-writes.ts';
import type { SqlRunner } from './deployment-sql.ts';
import { environmentLockName } from './environment-lock.ts';
import { groupCommit, WRITE_STATEMENTS } from './group-commit.ts';

// Group commit for creates (group-commit.ts): creates that arrive while a statement is in flight
// go together in the next one (openMany), each still decided by the core and reported back on its
// own. A batch holds each environment once; a second create for an environment already in it (a
// burst on one environment, a replayed key) goes alone at once: those queue on the environment's
// lock anyway. One statement at a time, a second after 10 ms (WRITE_STATEMENTS).

/** Opens a record unless taken (openUnlessTaken's contract), however the statement is shared. */
export type Opener = (item: OpenItem) => Promise<OpenOutcome>;

export function openBatcher(sql: SqlRunner): Opener {
  return groupCommit<OpenItem, OpenOutcome>(
    {
      alone: (item) => openUnlessTaken(sql, item.record, item.assumed, item.event, item.jobs),
      together: (items) => openMany(sql, items),
      keyOf: ({ record }) => environmentLockName(record.repository, record.environment),
      sameKey: 'alone',
    },
    WRITE_STATEMENTS,
  );
}
