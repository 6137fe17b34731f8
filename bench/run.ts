// `npm run bench`: the ledger API next to baselines measured in the same run.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase } from '../test/helpers/postgres.ts';
import { ROOT, startServer } from '../test/helpers/server.ts';
import { CONNECTIONS, type Figure, load, loop, printTable, rss } from './measure.ts';

const TOKEN = 'bench-key-0123456789abcdef';
const SHA = 'a'.repeat(40);

async function startBareHono(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-hono.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    child.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()).port)),
  );
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

async function rawPgInsert(url: string): Promise<Figure> {
  const pool = new pg.Pool({ connectionString: url, max: 16 });
  await pool.query(
    'CREATE TABLE bench_raw (repository text, environment text, key text, body jsonb, UNIQUE (repository, environment, key))',
  );
  const figure = await loop('raw pg INSERT … ON CONFLICT DO NOTHING', CONNECTIONS, async (i) => {
    await pool.query('INSERT INTO bench_raw VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
      'acme/shop',
      `env-${i}`,
      `${i}-1`,
      JSON.stringify({ sha: SHA }),
    ]);
  });
  await pool.end();
  return figure;
}

async function main() {
  const db = await createTestDatabase();
  const server = await startServer({
    DATABASE_URL: db.url,
    DEPLOYLEDGER_API_KEYS: `acme/shop=${TOKEN}`,
    DEPLOYLEDGER_DB_POOL_SIZE: '16',
  });
  const bare = await startBareHono();
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  try {
    const figures: Figure[] = [];
    const baseline = await load(
      'bare Hono route (baseline)',
      bare.url,
      [{ method: 'POST', path: '/v1/deployments', headers, body: JSON.stringify({ sha: SHA }) }],
      [201],
    );
    figures.push(baseline);
    figures.push(await rawPgInsert(db.url));

    const run = randomUUID().slice(0, 8);
    let n = 0;
    figures.push(
      await load(
        'POST /v1/deployments, new key each',
        server.url,
        [
          {
            method: 'POST',
            path: '/v1/deployments',
            headers,
            setupRequest: (req) => {
              const i = n++;
              return {
                ...req,
                headers: { ...headers, 'idempotency-key': `${run}-${i}` },
                body: JSON.stringify({
                  repository: 'acme/shop',
                  environment: `bench-${i}`,
                  sha: SHA,
                  state: 'in_progress',
                }),
              };
            },
          },
        ],
        [201],
      ),
    );
    const replayBody = JSON.stringify({ repository: 'acme/shop', environment: 'bench-replay', sha: SHA });
    figures.push(
      await load(
        'POST /v1/deployments, replay of one key',
        server.url,
        [
          {
            method: 'POST',
            path: '/v1/deployments',
            headers: { ...headers, 'idempotency-key': 'replay-1' },
            body: replayBody,
          },
        ],
        [200, 201],
      ),
    );
    figures.push(await load('GET /healthz', server.url, [{ method: 'GET', path: '/healthz' }], [200]));
    printTable('Ledger API on PostgreSQL', figures, baseline);
    const memory = rss(server.process.pid ?? 0);
    console.log(
      `\nserver RSS after the run: ${memory.rss.toFixed(0)} MiB (peak ${memory.peak.toFixed(0)} MiB)`,
    );
  } finally {
    bare.stop();
    await server.stop();
    await db.drop();
  }
}

await main();
