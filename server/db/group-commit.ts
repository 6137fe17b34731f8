// Group commit: a statement's own cost to PostgreSQL (the transaction, the commit's WAL flush,
// the round trip) is far more than its row's (docs/benchmarks-history.md). So while `parallel`
// statements are in flight, items that arrive wait and go together in the next one, each reported
// back on its own. An item that finds a free slot goes at once, alone: no added latency when the
// server is not busy. A statement holds each key once; what becomes of a second item under a key
// is the work's `sameKey`:
// - 'alone' (writes): it goes alone at once, as every write did before (two writes to one row or
//   environment queue on its lock anyway, and the second could not be decided on what the first
//   wrote).
// - 'share' (reads): it shares the waiting item's statement and outcome. Only a waiting one's: a
//   statement already begun may have read before the item arrived, so the item waits for the next
//   (never a copy older than itself).

export interface GroupCommitOptions {
  /** Statements in flight at once (of the pool's connections). */
  parallel: number;
  /** Items (distinct keys) in one statement at most. */
  maxBatch: number;
  /**
   * When set, a statement beyond the first starts only once each one in flight has been under way
   * this long: while statements come back in time, one at a time carries everything that waits
   * (larger batches, fewer statements), and one held up (waiting on an environment's lock) does not
   * hold up the rest for longer than this.
   */
  spareAfterMs?: number;
}

/**
 * For the write statements (creates, status updates, timeline appends): one in flight while it comes
 * back within 10 ms, a second beside it once it has not. An item that finds a slot free goes alone,
 * and each statement costs PostgreSQL about 0.25–0.4 ms of CPU before its rows (execution start,
 * locks on the table's indexes, the commit's WAL flush) against 0.02–0.08 ms a row. With four in
 * flight, most statements under load carried one or two items; with two, half as many transactions
 * per write (creates 0.14 → 0.07, status reports 0.13 → 0.07); with one, half as many again
 * (creates 0.07 → 0.03), for less CPU per write on both sides (docs/benchmarks-history.md). The
 * spare keeps what two gave: a batch waiting on an environment's lock does not stop every other
 * write.
 */
export const WRITE_STATEMENTS: GroupCommitOptions = { parallel: 2, maxBatch: 64, spareAfterMs: 10 };

export interface GroupCommitWork<Item, Outcome> {
  /** One item's own statement. */
  alone(item: Item): Promise<Outcome>;
  /** Several items, distinct keys, in one statement (for writes, one transaction): their outcomes in order. */
  together(items: Item[]): Promise<Outcome[]>;
  /** What two items in one statement must not share (a record, an environment, a stored key). */
  keyOf(item: Item): string;
  /** A second item under a key already waiting: its own statement, or the waiting one's outcome. */
  sameKey: 'alone' | 'share';
  /**
   * Whether the items of a statement that failed with this error are tried again one at a time
   * (unset: always). Not when no statement can succeed (the database unreachable): each waiter
   * gets the error at once.
   */
  retriesAlone?: (error: unknown) => boolean;
}

interface Waiter<Outcome> {
  resolve: (outcome: Outcome) => void;
  reject: (error: unknown) => void;
}

/** An item waiting for its statement, with everyone waiting for its outcome (more under 'share'). */
interface Slot<Item, Outcome> {
  item: Item;
  key: string;
  waiters: Waiter<Outcome>[];
}

/** A function that runs one item, its statement shared with the items that arrive meanwhile. */
export function groupCommit<Item, Outcome>(
  work: GroupCommitWork<Item, Outcome>,
  options: GroupCommitOptions = { parallel: 4, maxBatch: 64 },
): (item: Item) => Promise<Outcome> {
  type Entry = Slot<Item, Outcome>;
  const queue: Entry[] = [];
  // Under 'share': the queued slot of each key, for the items that arrive while it waits.
  const queuedByKey = new Map<string, Entry>();
  const share = work.sameKey === 'share';
  let inFlight = 0;
  // When each statement in flight began (performance.now()), and the timer that opens the spare.
  const began: number[] = [];
  let spareTimer: ReturnType<typeof setTimeout> | undefined;

  const alone = async (slot: Entry) => {
    try {
      const outcome = await work.alone(slot.item);
      for (const waiter of slot.waiters) waiter.resolve(outcome);
    } catch (error) {
      for (const waiter of slot.waiters) waiter.reject(error);
    }
  };

  const together = async (batch: Entry[]) => {
    let outcomes: Outcome[];
    try {
      outcomes = await work.together(batch.map((slot) => slot.item));
    } catch (error) {
      // The whole statement failed (a deadlock with another writer, a lost connection, one
      // item's constraint): each item alone, so one item's error is reported to its waiters only.
      if (work.retriesAlone?.(error) ?? true) await Promise.all(batch.map(alone));
      else for (const slot of batch) for (const waiter of slot.waiters) waiter.reject(error);
      return;
    }
    for (const [i, slot] of batch.entries())
      for (const waiter of slot.waiters) waiter.resolve(outcomes[i] as Outcome);
  };

  /** The next batch off the queue: one item per key; under 'alone', the others go alone. */
  const take = (): Entry[] => {
    const batch: Entry[] = [];
    const keys = new Set<string>();
    while (batch.length < options.maxBatch && queue.length > 0) {
      const slot = queue.shift() as Entry;
      if (share) {
        queuedByKey.delete(slot.key); // the queue holds each key once under 'share'
        batch.push(slot);
      } else if (keys.has(slot.key)) void alone(slot);
      else {
        keys.add(slot.key);
        batch.push(slot);
      }
    }
    return batch;
  };

  /** How long until another statement may start beside those in flight (0: now). */
  const untilSpare = (now: number) =>
    inFlight === 0 || options.spareAfterMs === undefined
      ? 0
      : options.spareAfterMs - (now - Math.max(...began));

  const pump = () => {
    while (inFlight < options.parallel && queue.length > 0) {
      const now = performance.now();
      const wait = untilSpare(now);
      if (wait > 0) {
        spareTimer ??= setTimeout(() => {
          spareTimer = undefined;
          pump();
        }, wait).unref();
        return;
      }
      const batch = take();
      inFlight++;
      began.push(now);
      const run = batch.length === 1 ? alone(batch[0] as Entry) : together(batch);
      void run.finally(() => {
        inFlight--;
        began.splice(began.indexOf(now), 1);
        pump();
      });
    }
  };

  return (item) =>
    new Promise<Outcome>((resolve, reject) => {
      const key = work.keyOf(item);
      let slot = share ? queuedByKey.get(key) : undefined;
      if (!slot) {
        slot = { item, key, waiters: [] };
        queue.push(slot);
        if (share) queuedByKey.set(key, slot);
      }
      slot.waiters.push({ resolve, reject });
      pump();
    });
}
