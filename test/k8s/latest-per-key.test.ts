import { describe, expect, it } from 'vitest';
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
    const queue = new LatestPerKey<number>(control.handler, (key) => errors.push(key));
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
