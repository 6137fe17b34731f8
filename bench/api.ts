import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type BenchContext, HEADERS, SHA } from './context.ts';
import { createStatementFloor } from './floor.ts';
import {
  bracketed,
  CONNECTIONS,
  type Figure,
  load,
  loop,
  printGoals,
  printTable,
  rssAfterLoad,
  SECONDS,
  WARMUP,
  warmLoop,
} from './measure.ts';

/** The raw pg insert loop on one pool kept open: `measure` after a warm-up, `again` re-measures it warm. */
export async function rawPgInserter(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 16 });
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bench_raw (repository text, environment text, key text, body jsonb, UNIQUE (repository, environment, key))',
  );
  const name = 'raw pg INSERT … ON CONFLICT DO NOTHING';
  const workOf = (run: string) => async (i: number) => {
    await pool.query('INSERT INTO bench_raw VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
      'acme/shop',
      `env-${run}-${i}`,
      `${i}-1`,
      JSON.stringify({ sha: SHA }),
    ]);
  };
  return {
    measure: () => warmLoop(name, CONNECTIONS, workOf),
    again: () => loop(name, CONNECTIONS, workOf(randomUUID().slice(0, 8))),
    end: () => pool.end(),
  };
}

/** The raw pg insert loop, measured once after its warm-up. */
export async function rawPgInsert(url: string): Promise<Figure> {
  const raw = await rawPgInserter(url);
  try {
    return await raw.measure();
  } finally {
    await raw.end();
  }
}

/** The bare route (after a warm-up unless `warm` is false: a re-measure of a warm process). */
export async function bareHonoBaseline(url: string, warm = true): Promise<Figure> {
  const requests = [
    {
      method: 'POST' as const,
      path: '/v1/deployments',
      headers: HEADERS,
      body: JSON.stringify({ sha: SHA }),
    },
  ];
  if (warm) await load('warm-up', url, requests, [201], CONNECTIONS, WARMUP);
  return load('bare Hono route (baseline)', url, requests, [201]);
}

/** Issue 2: create and replay through the ledger API, next to the baselines. */
export async function benchApi({ server, bareHono, databaseUrl }: BenchContext): Promise<void> {
  const baseline = await bareHonoBaseline(bareHono);
  const raw = await rawPgInserter(databaseUrl);
  const figures: Figure[] = [baseline, await raw.measure(), await createStatementFloor(databaseUrl)];
  const run = randomUUID().slice(0, 8);
  // The server's first load is its warm-up: printed, and not the figure its goal is read from.
  figures.push(await newKeyCreates(server.url, `${run}-cold`, true));
  const creates = await bracketed(raw.again, [
    {
      goal: 'creates, new key each, vs the raw insert',
      target: 50,
      run: () => newKeyCreates(server.url, run),
    },
  ]);
  const replayBody = JSON.stringify({
    repository: 'acme/shop',
    environment: `bench-replay-${run}`,
    sha: SHA,
  });
  const replay = (cold = false) =>
    load(
      `POST /v1/deployments, replay of one key${cold ? WARMING : ''}`,
      server.url,
      [
        {
          method: 'POST',
          path: '/v1/deployments',
          headers: { ...HEADERS, 'idempotency-key': `replay-${run}` },
          body: replayBody,
        },
      ],
      [200, 201],
      CONNECTIONS,
      cold ? WARMUP : SECONDS,
    );
  // Each route's own first seconds are its warm-up, as the creates' are (printed, not the goal's).
  figures.push(await replay(true), await statusUpdates(server.url, `${run}-cold`, true));
  const routes = await bracketed(
    () => bareHonoBaseline(bareHono, false),
    [
      { goal: 'replay of one key, vs the bare route', target: 50, run: () => replay() },
      { goal: 'status reports, vs the bare route', target: 50, run: () => statusUpdates(server.url, run) },
    ],
  );
  await raw.end();
  const goals = [...creates, ...routes];
  figures.push(...goals.map((row) => row.figure));
  figures.push(await load('GET /healthz', server.url, [{ method: 'GET', path: '/healthz' }], [200]));
  printTable('Ledger API on PostgreSQL', figures, baseline);
  printGoals("Issue 16's goals for the API", goals);
  console.log(`\nserver RSS: ${await rssAfterLoad(server.process.pid ?? 0)}`);
}

/**
 * Status reports on 200 running records (the first of each applies; later ones are duplicates);
 * `cold`: the route's first WARMUP seconds.
 */
export async function statusUpdates(url: string, run: string, cold = false): Promise<Figure> {
  const ids: string[] = [];
  for (let i = 0; i < 200; i++) {
    const response = await fetch(new URL('/v1/deployments', url), {
      method: 'POST',
      headers: { ...HEADERS, 'idempotency-key': `status-${run}-${i}` },
      body: JSON.stringify({
        repository: 'acme/shop',
        environment: `status-${run}-${i}`,
        sha: SHA,
        state: 'queued',
      }),
    });
    ids.push(((await response.json()) as { id: string }).id);
  }
  let n = 0;
  return load(
    `POST /v1/deployments/{id}/status${cold ? WARMING : ''}`,
    url,
    [
      {
        method: 'POST',
        path: '/v1/deployments',
        headers: HEADERS,
        setupRequest: (req) => ({
          ...req,
          path: `/v1/deployments/${ids[n++ % ids.length]}/status`,
          body: JSON.stringify({ state: 'in_progress', description: `step ${n}` }),
        }),
      },
    ],
    [200],
    CONNECTIONS,
    cold ? WARMUP : SECONDS,
  );
}

/** A scenario's name suffix for its run on a server that has just started (the bench's warm-up). */
export const COLD = `, a new server's first ${WARMUP} s`;

/** A scenario's name suffix for the first run of its route on a server warmed by other routes. */
const WARMING = `, the route's first ${WARMUP} s`;

/** POST /v1/deployments with a new key (and environment) each, at CONNECTIONS concurrent. */
export function newKeyCreates(url: string, run: string, cold = false): Promise<Figure> {
  let n = 0;
  return load(
    `POST /v1/deployments, new key each${cold ? COLD : ''}`,
    url,
    [
      {
        method: 'POST',
        path: '/v1/deployments',
        headers: HEADERS,
        setupRequest: (req) => {
          const i = n++;
          return {
            ...req,
            headers: { ...HEADERS, 'idempotency-key': `${run}-${i}` },
            body: JSON.stringify({
              repository: 'acme/shop',
              environment: `bench-${run}-${i}`,
              sha: SHA,
              state: 'in_progress',
            }),
          };
        },
      },
    ],
    [201],
    CONNECTIONS,
    cold ? WARMUP : SECONDS,
  );
}
