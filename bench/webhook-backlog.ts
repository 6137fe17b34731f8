import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { sample } from '../test/helpers/deliveries.ts';
import type { Figure } from './measure.ts';

export const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 50_000);
const REPOSITORIES = 50;
const ENVIRONMENTS = 4;

/**
 * A burst GitHub sent while the worker was behind: `BACKLOG` deliveries already stored (three per
 * deployment: `deployment`, `deployment_status` in_progress, then success, across 50 repositories
 * × 4 environments, each newer than the last), and the time the server takes to fold them all into
 * records. The rows are written straight into the store, as the receiver stores them, in one
 * transaction, so the worker meets the whole backlog at once and only the folding is timed.
 */
export async function foldBacklog(databaseUrl: string): Promise<Figure> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const deployment = sample('deployment');
  const status = sample('deployment_status', (p) => p.deployment_status.state === 'success');
  const start = Date.parse('2026-01-01T00:00:00Z');
  const rows: Array<[string, string, string | null, string]> = [];
  for (let d = 0; rows.length < BACKLOG; d++) {
    const repository = d % REPOSITORIES;
    const environment = `env-${Math.floor(d / REPOSITORIES) % ENVIRONMENTS}`;
    const github = {
      id: 7_000_000 + d,
      environment,
      sha: (d + 1).toString(16).padStart(40, '0'),
      created_at: new Date(start + d * 10_000).toISOString(),
      payload: {},
    };
    const repo = {
      ...deployment.repository,
      id: 9_000_000 + repository,
      full_name: `acme/repo-${repository}`,
    };
    rows.push([
      `backlog-${d}-d`,
      'deployment',
      'created',
      JSON.stringify({
        ...deployment,
        deployment: { ...deployment.deployment, ...github },
        repository: repo,
      }),
    ]);
    for (const [step, state] of ['in_progress', 'success'].entries()) {
      const at = new Date(start + d * 10_000 + (step + 1) * 1000).toISOString();
      const payload = {
        ...status,
        deployment: { ...status.deployment, ...github },
        deployment_status: {
          ...status.deployment_status,
          id: 8_000_000 + d * 2 + step,
          state,
          created_at: at,
        },
        repository: repo,
      };
      rows.push([`backlog-${d}-${state}`, 'deployment_status', 'created', JSON.stringify(payload)]);
    }
  }
  rows.length = BACKLOG;
  const started = performance.now();
  // One transaction: the worker sees the whole backlog at once, so only folding is timed.
  const client = await pool.connect();
  await client.query('BEGIN');
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    await client.query(
      `INSERT INTO webhook_delivery (delivery_id, event, action, payload, received_at)
       SELECT d, e, a, p, clock_timestamp() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(d, e, a, p)`,
      [chunk.map((r) => r[0]), chunk.map((r) => r[1]), chunk.map((r) => r[2]), chunk.map((r) => r[3])],
    );
  }
  await client.query('COMMIT');
  client.release();
  const stored = performance.now();
  let left = BACKLOG;
  const deadline = stored + 15 * 60_000;
  while (left > 0 && performance.now() < deadline) {
    await sleep(250);
    const { rows: counted } = await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM webhook_delivery WHERE done_at IS NULL AND delivery_id LIKE 'backlog-%'",
    );
    left = Number(counted[0]?.n);
  }
  const seconds = (performance.now() - stored) / 1000;
  const { rows: failed } = await pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM webhook_delivery WHERE last_error IS NOT NULL AND delivery_id LIKE 'backlog-%'",
  );
  await pool.end();
  return {
    name: `backlog of ${BACKLOG} stored deliveries folded into records`,
    requestsPerSecond: (BACKLOG - left) / seconds,
    p50: 0,
    p99: 0,
    errors: left + Number(failed[0]?.n),
    note: `${seconds.toFixed(1)} s; stored in ${((stored - started) / 1000).toFixed(1)} s`,
  };
}

/** Deliveries stored so far, and how many of them are folded. */
export async function deliveryCounts(databaseUrl: string): Promise<{ stored: number; folded: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ stored: number; folded: number }>(
      'SELECT count(*)::int AS stored, count(done_at)::int AS folded FROM webhook_delivery',
    );
    return rows[0] ?? { stored: 0, folded: 0 };
  } finally {
    await client.end();
  }
}

/** Waits (up to 5 minutes) until no stored delivery is left to fold. */
export async function drainDeliveries(databaseUrl: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const deadline = performance.now() + 5 * 60_000;
  while (performance.now() < deadline) {
    const { rows } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM webhook_delivery WHERE done_at IS NULL AND attempts < 10',
    );
    if (Number(rows[0]?.n) === 0) break;
    await sleep(500);
  }
  await pool.end();
}
