import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { type GroupCommitOptions, groupCommit } from '../../server/db/group-commit.ts';

// The queue that shares statements between creates (open-batcher.ts), between status reports
// (batched-updates.ts) and between replays' reads (batched-key-reads.ts), with a fake "database" that records every statement it was given.

interface Item {
  key: string;
  value: number;
}

function fakeStatements(
  fail: (items: Item[]) => boolean = () => false,
  sameKey: 'alone' | 'share' = 'alone',
  options: GroupCommitOptions = { parallel: 1, maxBatch: 3 },
  retriesAlone?: (error: unknown) => boolean,
) {
  const statements: Item[][] = [];
  let release: (() => void) | null = null;
  let held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const run = async (items: Item[]) => {
    statements.push(items);
    await held;
    if (fail(items)) throw new Error(`refused ${items.map((item) => item.value).join(',')}`);
    return items.map((item) => item.value * 10);
  };
  const write = groupCommit<Item, number>(
    {
      alone: async (item) => (await run([item]))[0] as number,
      together: run,
      keyOf: (item) => item.key,
      sameKey,
      ...(retriesAlone ? { retriesAlone } : {}),
    },
    options,
  );
  return {
    write,
    statements,
    release: () => {
      held = Promise.resolve();
      release?.();
    },
  };
}

describe('group commit', () => {
  it('a write that finds a free slot goes at once, alone; those arriving meanwhile share the next', async () => {
    const db = fakeStatements();
    const answers = [1, 2, 3, 4, 5].map((value) => db.write({ key: `k${value}`, value }));
    expect(db.statements).toEqual([[{ key: 'k1', value: 1 }]]);
    db.release();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50]);
    expect(db.statements.map((items) => items.map((item) => item.value))).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('never puts one key twice in a statement: the second goes alone', async () => {
    const db = fakeStatements();
    const answers = [
      db.write({ key: 'first', value: 1 }),
      db.write({ key: 'a', value: 2 }),
      db.write({ key: 'a', value: 3 }),
      db.write({ key: 'b', value: 4 }),
    ];
    db.release();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40]);
    for (const items of db.statements) expect(new Set(items.map((item) => item.key)).size).toBe(items.length);
  });

  it('a statement that fails is retried one write at a time: only the failing write sees the error', async () => {
    const db = fakeStatements((items) => items.some((item) => item.value === 3));
    const answers = [1, 2, 3, 4].map((value) =>
      db.write({ key: `k${value}`, value }).catch((error: Error) => error.message),
    );
    db.release();
    expect(await Promise.all(answers)).toEqual([10, 20, 'refused 3', 40]);
  });

  it('with a spare, a second statement starts only once the first has been under way that long', async () => {
    const db = fakeStatements(undefined, 'alone', { parallel: 2, maxBatch: 3, spareAfterMs: 40 });
    const answers = [1, 2, 3].map((value) => db.write({ key: `k${value}`, value }));
    await sleep(5);
    expect(db.statements).toHaveLength(1); // 2 and 3 wait: the first may yet come back in time
    await vi.waitFor(() => expect(db.statements).toHaveLength(2), { timeout: 2000 });
    db.release();
    expect(await Promise.all(answers)).toEqual([10, 20, 30]);
    expect(db.statements.map((items) => items.map((item) => item.value))).toEqual([[1], [2, 3]]);
  });

  it('a statement that fails with an error retriesAlone refuses is not retried: every waiter gets it', async () => {
    const db = fakeStatements(
      (items) => items.length > 1,
      'alone',
      { parallel: 1, maxBatch: 3 },
      (error) => !(error as Error).message.includes('refused'),
    );
    const answers = [1, 2, 3].map((value) =>
      db.write({ key: `k${value}`, value }).catch((error: Error) => error.message),
    );
    db.release();
    expect(await Promise.all(answers)).toEqual([10, 'refused 2,3', 'refused 2,3']);
    expect(db.statements).toHaveLength(2);
  });

  // One key arriving while its first item is in flight, then twice while the next statement waits.
  const sameKeyTwice = (db: ReturnType<typeof fakeStatements>) => [
    db.write({ key: 'a', value: 1 }),
    db.write({ key: 'a', value: 2 }),
    db.write({ key: 'a', value: 3 }),
    db.write({ key: 'b', value: 4 }),
  ];
  const valuesOf = (statements: Item[][]) => statements.map((items) => items.map((item) => item.value));

  it("under sameKey 'alone', each item of one key gets its own outcome, the second waiting one alone", async () => {
    const db = fakeStatements(undefined, 'alone');
    const answers = sameKeyTwice(db);
    db.release();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40]);
    expect(valuesOf(db.statements)).toEqual([[1], [3], [2, 4]]);
  });

  it("under sameKey 'share', items of one key share the waiting one's statement, never one begun before them", async () => {
    const db = fakeStatements(undefined, 'share');
    const answers = sameKeyTwice(db);
    db.release();
    // 2 did not get 1's outcome (its statement had begun); 3 got 2's (they waited together).
    expect(await Promise.all(answers)).toEqual([10, 20, 20, 40]);
    expect(valuesOf(db.statements)).toEqual([[1], [2, 4]]);
  });

  it("under sameKey 'share', a failed statement fails every waiter of the key that broke it, and only them", async () => {
    const db = fakeStatements((items) => items.some((item) => item.value === 2), 'share');
    const answers = sameKeyTwice(db).map((answer) => answer.catch((error: Error) => error.message));
    db.release();
    expect(await Promise.all(answers)).toEqual([10, 'refused 2', 'refused 2', 40]);
    expect(valuesOf(db.statements)).toEqual([[1], [2, 4], [2], [4]]);
  });
});
