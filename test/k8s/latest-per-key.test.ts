import { afterEach, describe, expect, it, vi } from 'vitest';
import { LatestPerKey } from '../../server/k8s/latest-per-key.ts';

/** A handler whose batches are released by the test, recording what each batch held. */
function controlledHandler(fail: (key: string, item: number) => boolean = () => false) {
  const batches: Array<Array<[string, number]>> = [];
  let release: () => void = () => {};
  let gate = Promise.resolve();
  const handler = async (batch: Map<string, number>) => {
    batches.push([...batch]);
    await gate;
    const failures = new Map<string, unknown>();
    for (const [key, item] of batch) if (fail(key, item)) failures.set(key, new Error(`${key} failed`));
    return failures;
  };
  return {
    batches,
    handler,
    hold() {
      gate = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
  };
}

const settled = async (queue: LatestPerKey<number>) => {
  for (let i = 0; i < 200 && queue.pending > 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(queue.pending).toBe(0);
};

describe('LatestPerKey', () => {
  afterEach(() => vi.restoreAllMocks());

  it('hands over, in one batch, the newest item of every key that arrived while a batch was under way', async () => {
    const control = controlledHandler();
    const queue = new LatestPerKey<number>(control.handler, () => {});
    control.hold();
    queue.push('a', 1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    for (let i = 2; i <= 5; i++) queue.push('a', i);
    queue.push('b', 1);
    queue.push('c', 1);
    queue.push('b', 2);
    expect(queue.pending).toBe(3);
    control.release();
    await settled(queue);
    expect(control.batches).toEqual([
      [['a', 1]],
      [
        ['a', 5],
        ['b', 2],
        ['c', 1],
      ],
    ]);
    await queue.stop();
  });

  it('retries a failed key with its newest item, without holding up the others', async () => {
    let failing = true;
    const errors: string[] = [];
    const control = controlledHandler((key) => key === 'a' && failing);
    const queue = new LatestPerKey<number>(control.handler, (keys) => errors.push(...keys));
    queue.push('a', 1);
    queue.push('b', 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // While `a` waits for its retry, other keys go through, and `a` gets a newer item.
    queue.push('c', 1);
    queue.push('a', 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(control.batches.at(-1)).toEqual([['c', 1]]);
    failing = false;
    await settled(queue);
    expect(errors).toEqual(['a']);
    expect(control.batches.at(-1)).toEqual([['a', 2]]);
    await queue.stop();
  });

  it('keys that failed together (the database went away) retry together and are reported once a round', async () => {
    // A slow machine's clock may tick between any two readings: here it always does.
    const realNow = Date.now.bind(Date);
    let readings = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + readings++);
    const batches: string[][] = [];
    const reports: Array<{ keys: string[]; why: string }> = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = new LatestPerKey<number>(
      async (batch) => {
        batches.push([...batch.keys()]);
        if (batch.has('first')) await held;
        const down = new Error('connect ECONNREFUSED 127.0.0.1:5432');
        const failing = batches.length === 2 || batches.length === 3;
        return new Map(failing ? [...batch.keys()].map((key) => [key, down]) : []);
      },
      (keys, error) => reports.push({ keys, why: (error as Error).message }),
    );
    // While a first batch is under way, fifty objects arrive; the database is gone for two rounds.
    queue.push('first', 0);
    const keys = Array.from({ length: 50 }, (_, i) => `object-${i}`);
    for (const key of keys) queue.push(key, 1);
    release();
    for (let i = 0; i < 400 && queue.pending > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(queue.pending).toBe(0);
    expect(batches).toEqual([['first'], keys, keys, keys]);
    expect(reports).toEqual([
      { keys, why: 'connect ECONNREFUSED 127.0.0.1:5432' },
      { keys, why: 'connect ECONNREFUSED 127.0.0.1:5432' },
    ]);
    await queue.stop();
  });

  it('caps a batch and takes the rest in the next one', async () => {
    const control = controlledHandler();
    const queue = new LatestPerKey<number>(control.handler, () => {}, 2);
    control.hold();
    queue.push('first', 0);
    await new Promise((resolve) => setTimeout(resolve, 0));
    for (const key of ['a', 'b', 'c']) queue.push(key, 1);
    control.release();
    await settled(queue);
    expect(control.batches.map((batch) => batch.map(([key]) => key))).toEqual([['first'], ['a', 'b'], ['c']]);
    await queue.stop();
  });
});
