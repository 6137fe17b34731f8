/**
 * Medians from the DORA rollups' samples (server/db/dora-rollups.ts). A day's samples are
 * [value, count, …] pairs: exact seconds while the day has few distinct values, else counts per
 * bucket of `dora_bucket` (the migration's function: bucket b holds [1.02^b − 1, 1.02^(b+1) − 1)
 * seconds). A median over exact days only is PostgreSQL's percentile_cont(0.5), to the
 * millisecond; once a day is bucketed it is interpolated within its bucket, within 2 %.
 */
export interface Samples {
  /** [value, count, …]; each day's in ascending value order, as `dora_histogram` writes them. */
  pairs: ArrayLike<number>;
  exact: boolean;
}

const RATIO = 1.02;

export const bucketOf = (seconds: number) => Math.floor(Math.log1p(Math.max(seconds, 0)) / Math.log(RATIO));

const lowerEdge = (bucket: number) => RATIO ** bucket - 1;

/** (key, count) pairs in ascending key order: exact seconds, or bucket numbers. */
interface Runs {
  pairs: ArrayLike<number>;
  exact: boolean;
}

/**
 * The samples as runs: exact seconds when every part is exact, else bucket numbers. A window's
 * total merges a month of days per environment, and a response has hundreds of environments: one
 * part already in order is used as it is; more are summed in a dense array by bucket (bucket
 * numbers are small integers) or, exact, in a map.
 */
function runsOf(parts: Samples[]): Runs {
  const exact = parts.every((part) => part.exact);
  const single = parts.length === 1 ? (parts[0] as Samples) : null;
  if (single && inOrder(single.pairs)) return { pairs: single.pairs, exact };
  const keyOf = (part: Samples, value: number) => (exact || !part.exact ? value : bucketOf(value));
  const pairs: number[] = [];
  if (!exact) {
    let top = -1;
    for (const part of parts)
      for (let i = 0; i + 1 < part.pairs.length; i += 2)
        top = Math.max(top, keyOf(part, part.pairs[i] as number));
    const dense = new Float64Array(Math.max(0, top + 1));
    for (const part of parts)
      for (let i = 0; i + 1 < part.pairs.length; i += 2) {
        const key = keyOf(part, part.pairs[i] as number);
        dense[key] = (dense[key] ?? 0) + (part.pairs[i + 1] as number);
      }
    dense.forEach((count, key) => {
      if (count > 0) pairs.push(key, count);
    });
    return { pairs, exact };
  }
  const sums = new Map<number, number>();
  for (const part of parts)
    for (let i = 0; i + 1 < part.pairs.length; i += 2) {
      const value = part.pairs[i] as number;
      sums.set(value, (sums.get(value) ?? 0) + (part.pairs[i + 1] as number));
    }
  for (const [key, count] of [...sums.entries()].sort(([a], [b]) => a - b)) pairs.push(key, count);
  return { pairs, exact };
}

/** Strictly ascending values (so no value repeats and none needs summing). */
function inOrder(pairs: ArrayLike<number>): boolean {
  for (let i = 2; i + 1 < pairs.length; i += 2)
    if ((pairs[i] as number) <= (pairs[i - 2] as number)) return false;
  return true;
}

/**
 * The value of rank `rank` (0-based), spreading a bucket's samples evenly over its width (an
 * exact value has no width).
 */
function valueAt({ pairs, exact }: Runs, rank: number): number {
  let before = 0;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const [key, count] = [pairs[i] as number, pairs[i + 1] as number];
    if (rank < before + count) {
      if (exact) return key;
      const from = lowerEdge(key);
      return from + ((rank - before + 0.5) / count) * (lowerEdge(key + 1) - from);
    }
    before += count;
  }
  const last = pairs.length >= 2 ? (pairs[pairs.length - 2] as number) : undefined;
  return last === undefined ? 0 : exact ? last : lowerEdge(last + 1);
}

/** The median (percentile_cont 0.5) of the samples of several days; null without samples. */
export function medianOf(parts: Samples[]): number | null {
  const runs = runsOf(parts);
  let total = 0;
  for (let i = 1; i < runs.pairs.length; i += 2) total += runs.pairs[i] as number;
  if (total === 0) return null;
  const position = (total - 1) / 2;
  const [low, high] = [Math.floor(position), Math.ceil(position)];
  const a = valueAt(runs, low);
  return low === high ? a : a + (position - low) * (valueAt(runs, high) - a);
}
