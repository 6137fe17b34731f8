import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { encodeCursor } from '../server/db/cursor.ts';
import { createTestDatabase } from '../test/helpers/postgres.ts';
import type { RunningServer } from '../test/helpers/server.ts';
import { startBenchServer, TOKEN } from './context.ts';
import { timeImport } from './import.ts';
import { ENVIRONMENTS, REPOSITORIES, writeLegacyHistory } from './legacy-history.ts';
import { type Figure, load, loop, SECONDS, WARMUP } from './measure.ts';

const SMALL = 20_000;
const LARGE = Number(process.env.BENCH_DASHBOARD_DEPLOYMENTS ?? 4_000_000);
const CONCURRENT = Number(process.env.BENCH_DASHBOARD_CONNECTIONS ?? 16);
// Seeding 4 000 000 rows takes a while: a database seeded by an earlier run can be measured again
// (and, for back-to-back comparisons while developing, a small one too).
const LARGE_URL = process.env.BENCH_DASHBOARD_LARGE_URL;
const SMALL_URL = process.env.BENCH_DASHBOARD_SMALL_URL;

/** One seeded history, its server, and the paths of the calls measured on it. */
interface Target {
  url: string;
  deployments: number;
  seeded: string;
  server: RunningServer;
  paths: Record<Call, string>;
  drop?: () => Promise<void>;
}

type Call = 'history' | 'middle' | 'record';

/** Seeds `rows` legacy rows through `deployledger import` (the path a user with a history takes). */
async function seed(url: string, rows: number): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'deployledger-bench-dashboard-'));
  try {
    const file = path.join(dir, 'history.csv');
    await writeLegacyHistory(file, rows);
    const { seconds } = await timeImport(file, { DATABASE_URL: url });
    return `imported in ${seconds.toFixed(0)} s (${(rows / seconds).toFixed(0)} rows/s)`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The history, seeded now through the import or reused, with a server started on it. */
async function prepare(rows: number, reuse: string | undefined): Promise<Target> {
  let url = reuse;
  let seeded = 'seeded by an earlier run';
  let drop: (() => Promise<void>) | undefined;
  if (!url) {
    const db = await createTestDatabase();
    [url, drop] = [db.url, db.drop];
    seeded = await seed(url, rows);
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('ANALYZE');
  const count = Number((await client.query('SELECT count(*) AS n FROM deployment')).rows[0].n);
  const environment = `repository_key = 'acme/repo-7' AND environment_key = 'env-1'`;
  const latest = (
    await client.query(`SELECT id FROM deployment WHERE ${environment} ORDER BY created_at DESC LIMIT 1`)
  ).rows[0]?.id;
  // A page from the middle of the environment's history, as "Older" links reach it.
  const middle = (
    await client.query(
      `SELECT id, created_at FROM deployment WHERE ${environment} ORDER BY created_at DESC, id DESC
       OFFSET (SELECT count(*) / 2 FROM deployment WHERE ${environment}) LIMIT 1`,
    )
  ).rows[0];
  await client.end();
  const history = '/dashboard/environments/acme/repo-7/env-1';
  const cursor = middle ? `?cursor=${encodeCursor({ createdAt: middle.created_at, id: middle.id })}` : '';
  const keys = Array.from({ length: REPOSITORIES }, (_, i) => `acme/repo-${i}=${TOKEN}`).join(',');
  const server = await startBenchServer({
    DATABASE_URL: url,
    DEPLOYLEDGER_API_KEYS: keys,
    DEPLOYLEDGER_DASHBOARD_PUBLIC: 'true',
    DEPLOYLEDGER_DB_POOL_SIZE: '16',
  });
  return {
    url,
    deployments: count,
    seeded,
    server,
    paths: { history, middle: `${history}${cursor}`, record: `/dashboard/deployments/${latest}` },
    ...(drop ? { drop } : {}),
  };
}

const auth = { authorization: `Bearer ${TOKEN}` };

/** A call's figure, and for the server's calls the figure of their warm-up before it. */
interface Measured {
  warm: Figure;
  cold?: Figure;
}

/** The calls, each a function of the history it runs on. */
const CALLS: Array<{ name: string; run: (t: Target) => Promise<Measured> }> = [
  {
    name: 'SELECT count(*) FROM deployment (baseline)',
    run: async (t) => {
      const pool = new pg.Pool({ connectionString: t.url, max: CONCURRENT });
      try {
        const warm = await loop('', CONCURRENT, async () => {
          await pool.query('SELECT count(*) FROM deployment');
        });
        return { warm };
      } finally {
        await pool.end();
      }
    },
  },
  ...(
    [
      ['GET /dashboard (environments page)', () => '/dashboard'],
      ['GET /dashboard/environments/… (history page, 90-day strip)', (t) => t.paths.history],
      ['GET /dashboard/environments/…?cursor= (history, a page from the middle)', (t) => t.paths.middle],
      ['GET /dashboard/deployments/:id (record and timeline)', (t) => t.paths.record],
      ['GET /dashboard/dora (DORA page, every environment)', () => '/dashboard/dora'],
      [
        'GET /v1/dora one repository and environment',
        () => '/v1/dora?repository=acme/repo-7&environment=env-1',
      ],
      [
        'GET /v1/dora?environment= (one environment, all 50 repositories)',
        () => '/v1/dora?environment=env-1',
      ],
      ['GET /v1/dora all 50 repositories, every environment', () => '/v1/dora'],
    ] as Array<[string, (t: Target) => string]>
  ).map(([name, pathOf]) => ({
    name,
    run: async (t: Target) => {
      // Each call first runs WARMUP seconds unmeasured, as the API's figures do (measure.ts):
      // its code paths are new to the server, and servers in the field run for days. That first
      // run is printed apart, as the call's figure on a server that had not served it yet.
      const requests = [{ method: 'GET' as const, path: pathOf(t), headers: auth }];
      const cold = await load(name, t.server.url, requests, [200], CONCURRENT, WARMUP);
      await settle(t.server.url);
      const warm = await load(name, t.server.url, requests, [200], CONCURRENT);
      await settle(t.server.url);
      return { warm, cold };
    },
  })),
];

/**
 * autocannon stops at the end of its time with requests still in flight; the server finishes
 * them. Wait until it answers at once again, so the next call is not measured against their tail.
 */
async function settle(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const started = performance.now();
    const answered = await fetch(`${url}/healthz`).then(
      (response) => response.arrayBuffer().then(() => response.ok),
      () => false,
    );
    if (answered && performance.now() - started < 20) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const cell = (f: Figure | undefined) =>
  f
    ? `${f.requestsPerSecond.toFixed(0)} | ${f.p50.toFixed(0)} | ${f.p99.toFixed(0)}${f.errors ? ` (${f.errors} errors)` : ''}`
    : '| |';

/**
 * Issue 16: the dashboard pages and /v1/dora over a small and a large history (50 repositories ×
 * 4 environments), the same calls side by side: cost should follow what is shown, not the
 * history's size. Each call runs on the small history and right after on the large one, so both
 * see the same machine (the load average is printed beside each pair).
 */
export async function benchDashboard(): Promise<void> {
  const small = await prepare(SMALL, SMALL_URL);
  const large = await prepare(LARGE, LARGE_URL);
  const rows: string[] = [];
  const coldRows: string[] = [];
  try {
    for (const call of CALLS) {
      const f = await call.run(small);
      const g = await call.run(large);
      const ratio = f.warm.p99 > 0 ? `${(g.warm.p99 / f.warm.p99).toFixed(2)}×` : '';
      rows.push(
        `| ${call.name} | ${cell(f.warm)} | ${cell(g.warm)} | ${ratio} | ${(loadavg()[0] ?? 0).toFixed(1)} |`,
      );
      if (f.cold && g.cold) coldRows.push(`| ${call.name} | ${cell(f.cold)} | ${cell(g.cold)} |`);
    }
  } finally {
    await Promise.all([small.server.stop(), large.server.stop()]);
    await small.drop?.();
    await large.drop?.();
  }
  console.log(
    `\n## Dashboard and DORA, ${REPOSITORIES} repositories × ${ENVIRONMENTS} environments: ${small.deployments} vs ${large.deployments} deployments (${CONCURRENT} concurrent, ${SECONDS}s each after ${WARMUP}s of the same call)\n`,
  );
  console.log(`Seeded through \`deployledger import\`: small ${small.seeded}; large ${large.seeded}.\n`);
  console.log(
    '| scenario | small req/s | p50 ms | p99 ms | large req/s | p50 ms | p99 ms | large/small p99 | load avg |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
  console.log(`\nEach call's first ${WARMUP} s (the warm-up, on a server that had not served it yet):\n`);
  console.log('| scenario | small req/s | p50 ms | p99 ms | large req/s | p50 ms | p99 ms |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of coldRows) console.log(row);
}
