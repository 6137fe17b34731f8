import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface Figure {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  note?: string;
}

export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/**
 * Seconds of the same load before a measured run (BENCH_WARMUP): a process's first seconds are
 * spent compiling its hot paths (a new server's creates run at half speed in their first second;
 * V8 still spends about a tenth of the server's CPU compiling between 5 and 15 s, a few % after
 * 25 s), and servers in the field run for days. The product's cold figure is printed beside its
 * warm one.
 */
export const WARMUP = Number(process.env.BENCH_WARMUP ?? 15);

type Request = NonNullable<autocannon.Options['requests']>[number];

/** Drives a URL with autocannon at CONNECTIONS concurrent clients for SECONDS. */
export async function load(
  name: string,
  url: string,
  requests: Request[],
  expectStatus: number[],
  connections: number = CONNECTIONS,
  seconds: number = SECONDS,
): Promise<Figure> {
  const result = await autocannon({ url, connections, duration: seconds, requests });
  const counted = Object.entries(result.statusCodeStats ?? {})
    .filter(([code]) => !expectStatus.includes(Number(code)))
    .reduce((sum, [, stat]) => sum + (stat as { count: number }).count, 0);
  return {
    name,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + counted,
  };
}

/** Runs `work` from `concurrency` loops for SECONDS; latency per call in ms. */
export async function loop(
  name: string,
  concurrency: number,
  work: (i: number) => Promise<void>,
  seconds: number = SECONDS,
): Promise<Figure> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let counter = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        try {
          await work(counter++);
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { name, requestsPerSecond: latencies.length / elapsed, p50: pct(50), p99: pct(99), errors };
}

/**
 * `loop` after WARMUP seconds of the same work, unmeasured. `workOf` is given a new run id for
 * each, so the rows the warm-up writes are not the measured run's.
 */
export async function warmLoop(
  name: string,
  concurrency: number,
  workOf: (run: string) => (i: number) => Promise<void>,
): Promise<Figure> {
  await loop('warm-up', concurrency, workOf(randomUUID().slice(0, 8)), WARMUP);
  return loop(name, concurrency, workOf(randomUUID().slice(0, 8)));
}

/** The middle value (the upper one of an even count). */
export const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** CPU time a process has used (user + system), in ms (Linux). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime, fields 14 and 15 of stat(5), in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resident and peak memory of a process, in MiB (Linux). */
export function rss(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** The server's RSS at the end of a load and 2 s later (it collects once quiet: server/heap-trim.ts). */
export async function rssAfterLoad(pid: number): Promise<string> {
  const atEnd = rss(pid);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const later = rss(pid);
  return `${atEnd.rss.toFixed(0)} MiB at the end of the load, ${later.rss.toFixed(0)} MiB 2 s later (peak ${later.peak.toFixed(0)} MiB)`;
}

export function printTable(title: string, figures: Figure[], baseline: Figure): void {
  console.log(`\n## ${title} (${CONNECTIONS} concurrent, ${SECONDS}s each)\n`);
  console.log('| scenario | req/s | p50 ms | p99 ms | errors | vs baseline |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const f of figures) {
    const ratio =
      f === baseline
        ? 'baseline'
        : `${((f.requestsPerSecond / baseline.requestsPerSecond) * 100).toFixed(1)} %`;
    console.log(
      `| ${f.name} | ${f.requestsPerSecond.toFixed(0)} | ${f.p50.toFixed(1)} | ${f.p99.toFixed(1)} | ${f.errors} | ${ratio} |`,
    );
  }
}

/** A product's figure with its baseline measured just before and just after it. */
export interface Bracketed {
  goal: string;
  figure: Figure;
  before: Figure;
  after: Figure;
  /** The share of the baseline the goal asks for, in %. */
  target: number;
}

/**
 * Measures the baseline, then each product followed by the baseline again, back to back (a
 * product's "after" is the next one's "before"). This machine's speed drifts over tens of seconds
 * (other tenants: a bare route's rate moved between 6 700 and 14 000/s within minutes), so a ratio
 * to a baseline measured a minute earlier says as much about the drift as about the product;
 * against the mean of the two around it, far less.
 */
export async function bracketed(
  baseline: () => Promise<Figure>,
  products: Array<{ goal: string; target: number; run: () => Promise<Figure> }>,
): Promise<Bracketed[]> {
  const runs = await eachBetween(
    baseline,
    products.map((product) => product.run),
  );
  return runs.map(({ result, before, after }, i) => {
    const { goal, target } = products[i] as (typeof products)[number];
    return { goal, figure: result, before, after, target };
  });
}

/** `baseline`, then each run followed by `baseline` again (a run's "after" is the next one's "before"). */
export async function eachBetween<B, R>(
  baseline: () => Promise<B>,
  runs: Array<() => Promise<R>>,
): Promise<Array<{ result: R; before: B; after: B }>> {
  let before = await baseline();
  const measured: Array<{ result: R; before: B; after: B }> = [];
  for (const run of runs) {
    const result = await run();
    const after = await baseline();
    measured.push({ result, before, after });
    before = after;
  }
  return measured;
}

/** The goal rows: each product figure against the mean of the baselines measured around it. */
export function printGoals(title: string, rows: Bracketed[]): void {
  console.log(`\n## ${title}: each against its baseline measured just before and just after it\n`);
  console.log('| goal | product req/s | p99 ms | baseline before | after | ratio | target |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const { goal, figure, before, after, target } of rows) {
    const mean = (before.requestsPerSecond + after.requestsPerSecond) / 2;
    const ratio = (figure.requestsPerSecond / mean) * 100;
    console.log(
      `| ${goal} | ${figure.requestsPerSecond.toFixed(0)} | ${figure.p99.toFixed(1)} | ${before.requestsPerSecond.toFixed(0)} | ${after.requestsPerSecond.toFixed(0)} | ${ratio.toFixed(1)} % | ≥ ${target} % |`,
    );
  }
}
