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

/**
 * The samples of several days merged, then their median. Exact while every day added is exact
 * (counts summed per value); once one is bucketed, exact values join by their bucket. A response
 * merges a month of days for each of hundreds of environments, so nothing is allocated per day:
 * a lone day (a daily trend point) is kept as it is, more are summed in a dense array by bucket
 * (bucket numbers are small integers), and one merge is reused from cell to cell (median()
 * empties it).
 */
export class SampleMerge {
  private days = 0;
  private sole = new Float64Array(256);
  private soleLength = 0;
  private soleExact = true;
  private dense = new Float64Array(1024);
  private bottom = Number.POSITIVE_INFINITY;
  private top = -1;
  private exactPairs: number[] = [];
  private bucketed = false;

  /** Adds one day's pairs (the first `length` numbers of `pairs`). */
  add(pairs: ArrayLike<number>, length: number, exact: boolean): void {
    if (this.days++ === 0) {
      if (length > this.sole.length) this.sole = new Float64Array(length * 2);
      for (let i = 0; i < length; i++) this.sole[i] = pairs[i] as number;
      [this.soleLength, this.soleExact] = [length, exact];
      return;
    }
    if (this.days === 2) this.merge(this.sole, this.soleLength, this.soleExact);
    this.merge(pairs, length, exact);
  }

  private merge(pairs: ArrayLike<number>, length: number, exact: boolean): void {
    if (exact) {
      for (let i = 0; i + 1 < length; i += 2)
        this.exactPairs.push(pairs[i] as number, pairs[i + 1] as number);
      return;
    }
    this.bucketed = true;
    for (let i = 0; i + 1 < length; i += 2) this.count(pairs[i] as number, pairs[i + 1] as number);
  }

  private count(bucket: number, count: number): void {
    if (bucket >= this.dense.length) {
      const grown = new Float64Array(Math.max(bucket + 1, this.dense.length * 2));
      grown.set(this.dense);
      this.dense = grown;
    }
    this.dense[bucket] = (this.dense[bucket] as number) + count;
    if (bucket > this.top) this.top = bucket;
    if (bucket < this.bottom) this.bottom = bucket;
  }

  /** The median (percentile_cont 0.5) of what was added, null without samples; empties the merge. */
  median(): number | null {
    const median = this.merged();
    if (this.top >= 0) this.dense.fill(0, this.bottom, this.top + 1);
    [this.days, this.top, this.bottom] = [0, -1, Number.POSITIVE_INFINITY];
    this.exactPairs.length = 0;
    this.bucketed = false;
    return median;
  }

  private merged(): number | null {
    if (this.days === 0) return null;
    if (this.days === 1 && inOrder(this.sole, this.soleLength))
      return pairsMedian(this.sole, this.soleLength, this.soleExact);
    if (this.days === 1) this.merge(this.sole, this.soleLength, this.soleExact);
    const exact = this.exactPairs;
    if (!this.bucketed) {
      const order = Array.from({ length: exact.length / 2 }, (_, i) => 2 * i).sort(
        (a, b) => (exact[a] as number) - (exact[b] as number),
      );
      const sorted = new Float64Array(exact.length);
      order.forEach((from, i) => {
        sorted[2 * i] = exact[from] as number;
        sorted[2 * i + 1] = exact[from + 1] as number;
      });
      return pairsMedian(sorted, sorted.length, true);
    }
    for (let i = 0; i + 1 < exact.length; i += 2)
      this.count(bucketOf(exact[i] as number), exact[i + 1] as number);
    return denseMedian(this.dense, this.bottom, this.top);
  }
}

/** Strictly ascending values (so no value repeats and none needs summing). */
function inOrder(pairs: ArrayLike<number>, length: number): boolean {
  for (let i = 2; i + 1 < length; i += 2) if ((pairs[i] as number) <= (pairs[i - 2] as number)) return false;
  return true;
}

/** Where a median lies among `total` ranked samples (percentile_cont 0.5). */
interface Ranks {
  position: number;
  low: number;
  high: number;
}

function ranksOf(total: number): Ranks {
  const position = (total - 1) / 2;
  return { position, low: Math.floor(position), high: Math.ceil(position) };
}

/** The sample of rank `rank` in a run of `count` samples: the value, or spread over the bucket. */
function valueIn(key: number, count: number, rank: number, exact: boolean): number {
  if (exact) return key;
  const from = lowerEdge(key);
  return from + ((rank + 0.5) / count) * (lowerEdge(key + 1) - from);
}

const between = ({ position, low, high }: Ranks, a: number, b: number) =>
  low === high ? a : a + (position - low) * (b - a);

/** The median of (key, count) pairs in ascending key order, walked once. */
function pairsMedian(pairs: Float64Array, length: number, exact: boolean): number | null {
  let total = 0;
  for (let i = 1; i < length; i += 2) total += pairs[i] as number;
  if (total === 0) return null;
  const ranks = ranksOf(total);
  let [before, a] = [0, Number.NaN];
  for (let i = 0; i + 1 < length; i += 2) {
    const [key, count] = [pairs[i] as number, pairs[i + 1] as number];
    if (Number.isNaN(a) && ranks.low < before + count) a = valueIn(key, count, ranks.low - before, exact);
    if (!Number.isNaN(a) && ranks.high < before + count)
      return between(ranks, a, valueIn(key, count, ranks.high - before, exact));
    before += count;
  }
  // Unreached while the counts add up: the last run's upper end, as a rank past the end.
  const last = pairs[length - 2] as number;
  const end = exact ? last : lowerEdge(last + 1);
  return between(ranks, Number.isNaN(a) ? end : a, end);
}

/** The median of counts by bucket (dense[bucket], bottom..top), walked once. */
function denseMedian(dense: Float64Array, bottom: number, top: number): number | null {
  let total = 0;
  for (let key = bottom; key <= top; key++) total += dense[key] as number;
  if (total === 0) return null;
  const ranks = ranksOf(total);
  let [before, a] = [0, Number.NaN];
  for (let key = bottom; key <= top; key++) {
    const count = dense[key] as number;
    if (count <= 0) continue;
    if (Number.isNaN(a) && ranks.low < before + count) a = valueIn(key, count, ranks.low - before, false);
    if (!Number.isNaN(a) && ranks.high < before + count)
      return between(ranks, a, valueIn(key, count, ranks.high - before, false));
    before += count;
  }
  const end = lowerEdge(top + 1);
  return between(ranks, Number.isNaN(a) ? end : a, end);
}

/** The median (percentile_cont 0.5) of the samples of several days; null without samples. */
export function medianOf(parts: Samples[]): number | null {
  const merge = new SampleMerge();
  for (const part of parts) merge.add(part.pairs, part.pairs.length, part.exact);
  return merge.median();
}
