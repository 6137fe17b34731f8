// Group commit: a statement's own cost to PostgreSQL (the transaction, the commit's WAL flush,
// the round trip) is far more than its row's (docs/benchmarks.md). So while `parallel` statements
// are in flight, items that arrive wait and go together in the next one, each reported back on
// its own. An item that finds a free slot goes at once, alone: no added latency when the server
// is not busy. A statement holds each key once; what becomes of a second item under a key is the
// work's `sameKey`:
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
}

/**
 * For the write statements (creates, status updates, timeline appends): two in flight, not four.
 * An item that finds a slot free goes alone, and each statement costs PostgreSQL about 0.25–0.4 ms
 * of CPU before its rows (execution start, locks on the table's indexes, the commit's WAL flush)
 * against 0.02–0.08 ms a row. With four, most statements under load carried one or two items; with
 * two, half as many transactions per write (creates 0.14 → 0.07, status reports 0.13 → 0.07, and
 * PostgreSQL's CPU per status report 65–128 µs → 50–60 µs; docs/benchmarks.md), while a batch
 * waiting on an environment's lock still leaves a slot to the others.
 */
export const WRITE_STATEMENTS: GroupCommitOptions = { parallel: 2, maxBatch: 64 };

export interface GroupCommitWork<Item, Outcome> {
  /** One item's own statement. */
  alone(item: Item): Promise<Outcome>;
  /** Several items, distinct keys, in one statement (for writes, one transaction): their outcomes in order. */
  together(items: Item[]): Promise<Outcome[]>;
  /** What two items in one statement must not share (a record, an environment, a stored key). */
  keyOf(item: Item): string;
  /** A second item under a key already waiting: its own statement, or the waiting one's outcome. */
  sameKey: 'alone' | 'share';
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
    } catch {
      // The whole statement failed (a deadlock with another writer, a lost connection, one
      // item's constraint): each item alone, so one item's error is reported to its waiters only.
      await Promise.all(batch.map(alone));
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

  const pump = () => {
    while (inFlight < options.parallel && queue.length > 0) {
      const batch = take();
      inFlight++;
      const run = batch.length === 1 ? alone(batch[0] as Entry) : together(batch);
      void run.finally(() => {
        inFlight--;
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
