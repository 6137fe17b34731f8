import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase } from '../test/helpers/postgres.ts';
import type { RunningServer } from '../test/helpers/server.ts';
import { newKeyCreates } from './api.ts';
import { SECRET, startBenchServer, TOKEN } from './context.ts';
import { cpuMs, type Figure, rss, SECONDS } from './measure.ts';
import { signedDeliveries } from './webhooks.ts';

interface Row {
  database: string;
  idle: number;
  afterDeliveries: number;
  afterCreates: number;
  /** Seconds after the load until the server had folded every delivery it stored. */
  foldedIn: number;
  /** 2 s and 15 s after that: the server collects its heap once it has been quiet for 10 s (server/heap-trim.ts). */
  quiet: number;
  settled: number;
  peak: number;
  /** `process.memoryUsage()` 15 s later, from /metrics: JS heap used / total, external (MiB). */
  heap: string;
  deliveries: Figure;
  creates: Figure;
}

/**
 * Issue 16: the server's resident memory on PostgreSQL and embedded, started as a user starts
 * it: idle 3 s after listening, after signed deliveries, after creates (64 concurrent, SECONDS
 * each), and 2 s and 15 s after its work is done, with the throughput the load got. The work
 * outlives the load: deliveries are acknowledged once stored and folded into records after, so
 * a fast receiver leaves a backlog the server is still folding (and growing its heap for) when
 * the load ends.
 */
export async function benchMemory(): Promise<void> {
  const rows: Row[] = [];
  const db = await createTestDatabase();
  try {
    rows.push(await measure('PostgreSQL', { DATABASE_URL: db.url }));
  } finally {
    await db.drop();
  }
  rows.push(await measure('embedded', {}));
  console.log(
    `\n## Server memory (RSS MiB, as \`node bin/deployledger.js serve\` runs, Node ${process.versions.node})\n`,
  );
  console.log(
    '| database | idle | after deliveries | after creates | deliveries folded (s after the load) | 2 s later | 15 s later | peak | heap used / total, external | deliveries/s (server CPU) | creates/s (server CPU) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const n = (v: number) => v.toFixed(0);
    console.log(
      `| ${r.database} | ${n(r.idle)} | ${n(r.afterDeliveries)} | ${n(r.afterCreates)} | ${r.foldedIn.toFixed(1)} | ${n(r.quiet)} | ${n(r.settled)} | ${n(r.peak)} | ${r.heap} | ${n(r.deliveries.requestsPerSecond)} (${r.deliveries.note}) | ${n(r.creates.requestsPerSecond)} (${r.creates.note}) |`,
    );
  }
}

async function measure(database: string, env: Record<string, string>): Promise<Row> {
  const server = await startBenchServer({
    DEPLOYLEDGER_API_KEYS: `acme/shop=${TOKEN}`,
    DEPLOYLEDGER_DB_POOL_SIZE: '16',
    GITHUB_WEBHOOK_SECRET: SECRET,
    ...env,
  });
  const memory = () => rss(server.process.pid ?? 0);
  try {
    await sleep(3000);
    const idle = memory().rss;
    const deliveries = await withCpu(server, () => signedDeliveries(server.url));
    const afterDeliveries = memory().rss;
    const creates = await withCpu(server, () => newKeyCreates(server.url, randomUUID().slice(0, 8)));
    const afterCreates = memory().rss;
    const foldedIn = await untilFolded(server.url);
    await sleep(2000);
    const quiet = memory().rss;
    await sleep(13_000);
    const settled = memory();
    const heap = await heapFigures(server.url);
    return {
      database,
      idle,
      afterDeliveries,
      afterCreates,
      foldedIn,
      quiet,
      settled: settled.rss,
      peak: settled.peak,
      heap,
      deliveries,
      creates,
    };
  } finally {
    await server.stop();
  }
}

/** The server's CPU time per request while `work` ran (user + system; comparable under load). */
async function withCpu(server: RunningServer, work: () => Promise<Figure>): Promise<Figure> {
  const before = cpuMs(server.process.pid ?? 0);
  const figure = await work();
  const used = cpuMs(server.process.pid ?? 0) - before;
  const requests = figure.requestsPerSecond * SECONDS;
  return { ...figure, note: `${(used / Math.max(1, requests)).toFixed(1)} ms CPU each` };
}

/**
 * Waits until the server has decided every stored delivery: its count of webhook signals
 * (/metrics) stays the same for a second (at most 60 s). Returns the seconds it took.
 */
async function untilFolded(url: string): Promise<number> {
  const started = performance.now();
  let last = -1;
  let sameSince = performance.now();
  while (performance.now() - started < 60_000) {
    const text = await (await fetch(new URL('/metrics', url))).text();
    let decided = 0;
    for (const match of text.matchAll(/^deployledger_signals_total\{[^}]*source="webhook"[^}]*\} (\S+)$/gm))
      decided += Number(match[1]);
    if (decided !== last) [last, sameSince] = [decided, performance.now()];
    else if (performance.now() - sameSince >= 1000) break;
    await sleep(200);
  }
  return (sameSince - started) / 1000;
}

async function heapFigures(url: string): Promise<string> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  const mib = (name: string) => {
    const value = new RegExp(`^deployledger_${name} (\\S+)$`, 'm').exec(text)?.[1];
    return value ? (Number(value) / 1048576).toFixed(0) : '?';
  };
  return `${mib('nodejs_heap_size_used_bytes')} / ${mib('nodejs_heap_size_total_bytes')}, ${mib('nodejs_external_memory_bytes')}`;
}
