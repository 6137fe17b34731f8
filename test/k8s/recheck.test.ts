import { describe, expect, it } from 'vitest';
import { Recheck } from '../../server/k8s/recheck.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Recheck: objects changed lately that no record matched yet', () => {
  it('hands back what a watch event changed, its newest state, until matched or quiet too long', async () => {
    const pushed: Array<[string, number]> = [];
    const recheck = new Recheck<number>((key, item) => pushed.push([key, item]), 20, 150);
    try {
      recheck.seen('changed', 1, true);
      recheck.seen('changed', 2, false); // a relist's newer copy of it
      recheck.seen('listed-only', 1, false); // seen by a relist alone: not news
      recheck.seen('matched', 1, true);
      recheck.settled('matched');
      await sleep(70);
      expect(new Set(pushed.map(([key]) => key))).toEqual(new Set(['changed']));
      expect(pushed.every(([, item]) => item === 2)).toBe(true);
      await sleep(200);
      const count = pushed.length;
      await sleep(60);
      expect(pushed.length).toBe(count);
      expect(recheck.size).toBe(0);
    } finally {
      recheck.stop();
    }
  });
});
