import { describe, expect, it } from 'vitest';
import { bucketOf, medianOf, SampleMerge, type Samples } from '../../server/dora/median.ts';

// The merge as it was first written (every part summed into (key, count) runs, then two walks):
// the reference the allocation-free merge must match to the last bit.
function referenceMedian(parts: Samples[]): number | null {
  const exact = parts.every((part) => part.exact);
  const sums = new Map<number, number>();
  for (const part of parts)
    for (let i = 0; i + 1 < part.pairs.length; i += 2) {
      const value = part.pairs[i] as number;
      const key = exact || !part.exact ? value : bucketOf(value);
      sums.set(key, (sums.get(key) ?? 0) + (part.pairs[i + 1] as number));
    }
  const runs = [...sums.entries()].filter(([, count]) => count > 0).sort(([a], [b]) => a - b);
  const total = runs.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  const edge = (bucket: number) => 1.02 ** bucket - 1;
  const valueAt = (rank: number) => {
    let before = 0;
    for (const [key, count] of runs) {
      if (rank < before + count)
        return exact ? key : edge(key) + ((rank - before + 0.5) / count) * (edge(key + 1) - edge(key));
      before += count;
    }
    throw new Error('rank past the samples');
  };
  const position = (total - 1) / 2;
  const [low, high] = [Math.floor(position), Math.ceil(position)];
  const a = valueAt(low);
  return low === high ? a : a + (position - low) * (valueAt(high) - a);
}

/** A day as `dora_histogram` writes it: ascending distinct values (seconds or buckets), counts ≥ 1. */
function day(random: () => number): Samples {
  const exact = random() < 0.5;
  const values = new Set<number>();
  const n = 1 + Math.floor(random() * (exact ? 16 : 80));
  while (values.size < n)
    values.add(
      exact ? Math.round(random() * 200_000) / (random() < 0.3 ? 1000 : 1) : 300 + Math.floor(random() * 400),
    );
  const pairs = [...values].sort((a, b) => a - b).flatMap((value) => [value, 1 + Math.floor(random() * 9)]);
  return { pairs, exact };
}

function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('medians merged from day histograms', () => {
  it('equal the reference merge for lone, exact, bucketed and mixed days', () => {
    const random = seeded(7);
    const merge = new SampleMerge();
    for (let trial = 0; trial < 2000; trial++) {
      const parts = Array.from({ length: 1 + Math.floor(random() * (trial % 3 === 0 ? 1 : 31)) }, () =>
        day(random),
      );
      const expected = referenceMedian(parts);
      expect(medianOf(parts)).toBe(expected);
      // One merge reused from cell to cell gives the same as a fresh one.
      for (const part of parts) merge.add(part.pairs, part.pairs.length, part.exact);
      expect(merge.median()).toBe(expected);
    }
  });

  it('is percentile_cont over exact samples, repeated values summed across days', () => {
    expect(
      medianOf([
        { pairs: [60, 1, 120, 1], exact: true },
        { pairs: [60, 1, 3600, 1], exact: true },
      ]),
    ).toBe(90);
    expect(medianOf([{ pairs: [5, 1, 7, 1, 9, 1], exact: true }])).toBe(7);
    expect(medianOf([])).toBeNull();
  });
});
