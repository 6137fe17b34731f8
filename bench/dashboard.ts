import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { encodeCursor } from '../server/db/cursor.ts';
import { createTestDatabase } from '../test/helpers/postgres.ts';
import { startServer } from '../test/helpers/server.ts';
import { TOKEN } from './context.ts';
import { timeImport } from './import.ts';
import { ENVIRONMENTS, REPOSITORIES, writeLegacyHistory } from './legacy-history.ts';
import { type Figure, load, loop, SECONDS } from './measure.ts';

const SMALL = 20_000;
const LARGE = Number(process.env.BENCH_DASHBOARD_DEPLOYMENTS ?? 4_000_000);
const CONCURRENT = Number(process.env.BENCH_DASHBOARD_CONNECTIONS ?? 16);
// Seeding 4 000 000 rows takes a while: a database seeded by an earlier run can be measured again
// (and, for back-to-back comparisons while developing, a small one too).
const LARGE_URL = process.env.BENCH_DASHBOARD_LARGE_URL;
const SMALL_URL = process.env.BENCH_DASHBOARD_SMALL_URL;

interface Measured {
  deployments: number;
  seeded: string;
  figures: Figure[];
  /** The 1-minute load average before and after the calls. */
  load: [number, number];
}

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

async function measure(url: string, seeded: string): Promise<Measured> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('ANALYZE');
  const count = Number((await client.query('SELECT count(*) AS n FROM deployment')).rows[0].n);
  const latest = (
    await client.query(
      `SELECT id FROM deployment WHERE repository_key = 'acme/repo-7' AND environment_key = 'env-1'
       ORDER BY created_at DESC LIMIT 1`,
    )
  ).rows[0]?.id;
  // A page from the middle of the environment's history, as "Older" links reach it.
  const middle = (
    await client.query(
      `SELECT id, created_at FROM deployment WHERE repository_key = 'acme/repo-7' AND environment_key = 'env-1'
       ORDER BY created_at DESC, id DESC OFFSET (SELECT count(*) / 2 FROM deployment
         WHERE repository_key = 'acme/repo-7' AND environment_key = 'env-1') LIMIT 1`,
    )
  ).rows[0];
  await client.end();
  const deepPage = middle ? `?cursor=${encodeCursor({ createdAt: middle.created_at, id: middle.id })}` : '';
  const keys = Array.from({ length: REPOSITORIES }, (_, i) => `acme/repo-${i}=${TOKEN}`).join(',');
  const server = await startServer({
    DATABASE_URL: url,
    DEPLOYLEDGER_API_KEYS: keys,
    DEPLOYLEDGER_DASHBOARD_PUBLIC: 'true',
    DEPLOYLEDGER_DB_POOL_SIZE: '16',
  });
  const before = loadavg()[0] ?? 0;
  try {
    const pool = new pg.Pool({ connectionString: url, max: CONCURRENT });
    const baseline = await loop('SELECT count(*) FROM deployment (baseline)', CONCURRENT, async () => {
      await pool.query('SELECT count(*) FROM deployment');
    });
    await pool.end();
    const get = (name: string, pathname: string, headers: Record<string, string> = {}) =>
      load(name, server.url, [{ method: 'GET', path: pathname, headers }], [200], CONCURRENT);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const figures = [
      baseline,
      await get('GET /dashboard (environments page)', '/dashboard'),
      await get(
        'GET /dashboard/environments/… (history page, 90-day strip)',
        '/dashboard/environments/acme/repo-7/env-1',
      ),
      await get(
        'GET /dashboard/environments/…?cursor= (history, a page from the middle)',
        `/dashboard/environments/acme/repo-7/env-1${deepPage}`,
      ),
      await get('GET /dashboard/deployments/:id (record and timeline)', `/dashboard/deployments/${latest}`),
      await get('GET /dashboard/dora (DORA page, every environment)', '/dashboard/dora'),
      await get(
        'GET /v1/dora one repository and environment',
        '/v1/dora?repository=acme/repo-7&environment=env-1',
        auth,
      ),
      await get(
        'GET /v1/dora?environment= (one environment, all 50 repositories)',
        '/v1/dora?environment=env-1',
        auth,
      ),
      await get('GET /v1/dora all 50 repositories, every environment', '/v1/dora', auth),
    ];
    return { deployments: count, seeded, figures, load: [before, loadavg()[0] ?? 0] };
  } finally {
    await server.stop();
  }
}

async function measureSize(rows: number, reuse?: string): Promise<Measured> {
  if (reuse) return measure(reuse, 'seeded by an earlier run');
  const db = await createTestDatabase();
  try {
    return await measure(db.url, await seed(db.url, rows));
  } finally {
    await db.drop();
  }
}

const cell = (f: Figure | undefined) =>
  f
    ? `${f.requestsPerSecond.toFixed(0)} | ${f.p50.toFixed(0)} | ${f.p99.toFixed(0)}${f.errors ? ` (${f.errors} errors)` : ''}`
    : '| |';

/**
 * Issue 16: the dashboard pages and /v1/dora over a small and a large history (50 repositories ×
 * 4 environments), the same calls side by side: cost should follow what is shown, not the
 * history's size.
 */
export async function benchDashboard(): Promise<void> {
  const small = await measureSize(SMALL, SMALL_URL);
  const large = await measureSize(LARGE, LARGE_URL);
  console.log(
    `\n## Dashboard and DORA, ${REPOSITORIES} repositories × ${ENVIRONMENTS} environments: ${small.deployments} vs ${large.deployments} deployments (${CONCURRENT} concurrent, ${SECONDS}s each)\n`,
  );
  const load = (m: Measured) => `${m.load[0].toFixed(1)} → ${m.load[1].toFixed(1)}`;
  console.log(`Seeded through \`deployledger import\`: small ${small.seeded}; large ${large.seeded}.`);
  console.log(`Load average (1 min) while measuring: small ${load(small)}; large ${load(large)}.\n`);
  console.log(
    '| scenario | small req/s | p50 ms | p99 ms | large req/s | p50 ms | p99 ms | large/small p99 |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  small.figures.forEach((f, i) => {
    const g = large.figures[i];
    const ratio = g && f.p99 > 0 ? `${(g.p99 / f.p99).toFixed(2)}×` : '';
    console.log(`| ${f.name} | ${cell(f)} | ${cell(g)} | ${ratio} |`);
  });
}
