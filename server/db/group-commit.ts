// Group commit: a statement's own cost to PostgreSQL (the transaction, the commit's WAL flush,
// the round trip) is far more than its row's (docs/benchmarks.md). So while `parallel` statements
// are in flight, writes that arrive wait and go together in the next one, each reported back on
// its own. A write that finds a free slot goes at once, alone: no added latency when the server
// is not busy. A batch holds each key once; a second write under a key already in it goes alone
// at once, as every write did before (two writes to one row or environment queue on its lock
// anyway, and the second could not be decided on what the first wrote).

export interface GroupCommitOptions {
  /** Statements in flight at once (of the pool's connections). */
  parallel: number;
  /** Writes in one statement at most. */
  maxBatch: number;
}

export interface GroupCommitWork<Item, Outcome> {
  /** One write's own statement. */
  alone(item: Item): Promise<Outcome>;
  /** Several writes, distinct keys, in one statement (one transaction): their outcomes in order. */
  together(items: Item[]): Promise<Outcome[]>;
  /** What two writes in one statement must not share (a record, an environment). */
  keyOf(item: Item): string;
}

interface Waiting<Item, Outcome> {
  item: Item;
  resolve: (outcome: Outcome) => void;
  reject: (error: unknown) => void;
}

/** A function that writes one item, its statement shared with the writes that arrive meanwhile. */
export function groupCommit<Item, Outcome>(
  work: GroupCommitWork<Item, Outcome>,
  options: GroupCommitOptions = { parallel: 4, maxBatch: 64 },
): (item: Item) => Promise<Outcome> {
  type Entry = Waiting<Item, Outcome>;
  const queue: Entry[] = [];
  let inFlight = 0;

  const alone = async ({ item, resolve, reject }: Entry) => {
    try {
      resolve(await work.alone(item));
    } catch (error) {
      reject(error);
    }
  };

  const together = async (batch: Entry[]) => {
    let outcomes: Outcome[];
    try {
      outcomes = await work.together(batch.map((waiting) => waiting.item));
    } catch {
      // The whole statement rolled back (a deadlock with another writer, a lost connection, one
      // item's constraint): each write alone, so one write's error is reported to that write only.
      await Promise.all(batch.map(alone));
      return;
    }
    for (const [i, waiting] of batch.entries()) waiting.resolve(outcomes[i] as Outcome);
  };

  /** The next batch off the queue: one write per key; the others go alone. */
  const take = (): Entry[] => {
    const batch: Entry[] = [];
    const keys = new Set<string>();
    while (batch.length < options.maxBatch && queue.length > 0) {
      const waiting = queue.shift() as Entry;
      const key = work.keyOf(waiting.item);
      if (keys.has(key)) void alone(waiting);
      else {
        keys.add(key);
        batch.push(waiting);
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
      queue.push({ item, resolve, reject });
      pump();
    });
}
