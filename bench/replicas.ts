import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { createTestDatabase } from '../test/helpers/postgres.ts';
import type { RunningServer } from '../test/helpers/server.ts';
import { rawPgInsert } from './api.ts';
import { HEADERS, SHA, startBenchServer, TOKEN } from './context.ts';
import { CONNECTIONS, type Figure, printTable, SECONDS } from './measure.ts';

const REPLICAS = (process.env.BENCH_REPLICAS ?? '1,2,4').split(',').map(Number);

/** Creates spread over `servers`, CONNECTIONS in all, for SECONDS: the sum of their rates. */
async function createsAcross(servers: RunningServer[], run: string): Promise<Figure> {
  let n = 0;
  const results = await Promise.all(
    servers.map((server) =>
      autocannon({
        url: server.url,
        connections: Math.max(1, Math.floor(CONNECTIONS / servers.length)),
        duration: SECONDS,
        requests: [
          {
            method: 'POST',
            path: '/v1/deployments',
            setupRequest: (req) => {
              const i = n++;
              return {
                ...req,
                headers: { ...HEADERS, 'idempotency-key': `${run}-${i}` },
                body: JSON.stringify({ repository: 'acme/shop', environment: `r-${run}-${i}`, sha: SHA }),
              };
            },
          },
        ],
      }),
    ),
  );
  return {
    name: `POST /v1/deployments, ${servers.length} replica(s) on one PostgreSQL`,
    requestsPerSecond: results.reduce((sum, r) => sum + r.requests.average, 0),
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    errors: results.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
  };
}

/** docs/scaling.md: how creates grow with replicas of the server on one PostgreSQL. */
export async function benchReplicas(): Promise<void> {
  const db = await createTestDatabase();
  try {
    const baseline = await rawPgInsert(db.url);
    const figures: Figure[] = [baseline];
    for (const count of REPLICAS) {
      const servers = await Promise.all(
        Array.from({ length: count }, () =>
          startBenchServer({
            DATABASE_URL: db.url,
            DEPLOYLEDGER_API_KEYS: `acme/shop=${TOKEN}`,
            DEPLOYLEDGER_DB_POOL_SIZE: '8',
          }),
        ),
      );
      try {
        figures.push(await createsAcross(servers, randomUUID().slice(0, 8)));
      } finally {
        await Promise.all(servers.map((server) => server.stop()));
      }
    }
    printTable('Replicas on one PostgreSQL', figures, baseline);
  } finally {
    await db.drop();
  }
}
