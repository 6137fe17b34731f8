/**
 * Medians from the DORA rollups' samples (server/db/dora-rollups.ts). A day's samples are
 * [value, count, …] pairs: exact seconds while the day has few distinct values, else counts per
 * bucket of `dora_bucket` (the migration's function: bucket b holds [1.02^b − 1, 1.02^(b+1) − 1)
 * seconds). A median over exact days only is PostgreSQL's percentile_cont(0.5), to the
 * millisecond; once a day is bucketed it is interpolated within its bucket, within 2 %.
 */
export interface Samples {
  pairs: number[];
  exact: boolean;
}

const RATIO = 1.02;

export const bucketOf = (seconds: number) => Math.floor(Math.log1p(Math.max(seconds, 0)) / Math.log(RATIO));

const lowerEdge = (bucket: number) => RATIO ** bucket - 1;

interface Run {
  /** Exact value, or the bucket's lower edge. */
  from: number;
  /** The bucket's upper edge (equal to `from` for an exact value). */
  to: number;
  count: number;
}

function runsOf(parts: Samples[]): Run[] {
  const exact = parts.every((part) => part.exact);
  const counts = new Map<number, number>();
  for (const part of parts) {
    for (let i = 0; i + 1 < part.pairs.length; i += 2) {
      const [value, count] = [part.pairs[i] as number, part.pairs[i + 1] as number];
      const key = exact || !part.exact ? value : bucketOf(value);
      counts.set(key, (counts.get(key) ?? 0) + count);
    }
  }
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([key, count]) =>
      exact ? { from: key, to: key, count } : { from: lowerEdge(key), to: lowerEdge(key + 1), count },
    );
}

/** The value of rank `rank` (0-based), spreading a bucket's samples evenly over its width. */
function valueAt(runs: Run[], rank: number): number {
  let before = 0;
  for (const run of runs) {
    if (rank < before + run.count)
      return run.from + ((rank - before + 0.5) / run.count) * (run.to - run.from);
    before += run.count;
  }
  return runs[runs.length - 1]?.to ?? 0;
}

/** The median (percentile_cont 0.5) of the samples of several days; null without samples. */
export function medianOf(parts: Samples[]): number | null {
  const runs = runsOf(parts);
  const total = runs.reduce((sum, run) => sum + run.count, 0);
  if (total === 0) return null;
  const position = (total - 1) / 2;
  const [low, high] = [Math.floor(position), Math.ceil(position)];
  const a = valueAt(runs, low);
  return low === high ? a : a + (position - low) * (valueAt(runs, high) - a);
}
