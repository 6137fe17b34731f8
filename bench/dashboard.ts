import pg from 'pg';
import { TOKEN, withContext } from './context.ts';
import { CONNECTIONS, type Figure, load, loop, printTable } from './measure.ts';

const REPOSITORIES = 50;
const ENVIRONMENTS = 4;
const DEPLOYMENTS = Number(process.env.BENCH_DASHBOARD_DEPLOYMENTS ?? 20_000);

/** Seeds a history in one statement: repositories × environments, spread over 90 days. */
async function seed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    `INSERT INTO deployment (id, repository, environment, key, sha, state, created_at, deployed_at, completed_at, commit_at, updated_at)
     SELECT gen_random_uuid(), 'acme/repo-' || (i % $1), 'env-' || ((i / $1) % $2), 'seed-' || i, md5(i::text) || 'abcdefgh',
            s.state, t.at, CASE WHEN s.state IN ('success', 'inactive') THEN t.at + interval '5 minutes' END,
            t.at + interval '5 minutes', t.at - interval '2 hours', t.at
     FROM generate_series(1, $3) AS i
     CROSS JOIN LATERAL (SELECT now() - (i * interval '90 days' / $3) AS at) t
     CROSS JOIN LATERAL (SELECT CASE WHEN i % 10 = 0 THEN 'failure' WHEN i % 5 = 0 THEN 'success' ELSE 'inactive' END AS state) s`,
    [REPOSITORIES, ENVIRONMENTS, DEPLOYMENTS],
  );
  await client.query('ANALYZE deployment');
  await client.end();
}

/** Issue 8: the environments page and /v1/dora over a large history, next to a bare count(*). */
export async function benchDashboard(): Promise<void> {
  const keys = Array.from({ length: REPOSITORIES }, (_, i) => `acme/repo-${i}=${TOKEN}`).join(',');
  await withContext(
    { DEPLOYLEDGER_API_KEYS: keys, DEPLOYLEDGER_DASHBOARD_PUBLIC: 'true' },
    async ({ server, databaseUrl }) => {
      await seed(databaseUrl);
      const pool = new pg.Pool({ connectionString: databaseUrl, max: 16 });
      const baseline = await loop('SELECT count(*) FROM deployment (baseline)', CONNECTIONS, async () => {
        await pool.query('SELECT count(*) FROM deployment');
      });
      await pool.end();
      const headers = { authorization: `Bearer ${TOKEN}` };
      const figures: Figure[] = [
        baseline,
        await load(
          'GET /dashboard (environments page)',
          server.url,
          [{ method: 'GET', path: '/dashboard' }],
          [200],
        ),
        await load(
          'GET /v1/dora one repository and environment, 30 days',
          server.url,
          [{ method: 'GET', path: '/v1/dora?repository=acme/repo-7&environment=env-1', headers }],
          [200],
        ),
        await load(
          'GET /v1/dora all 50 repositories',
          server.url,
          [{ method: 'GET', path: '/v1/dora', headers }],
          [200],
        ),
      ];
      printTable(
        `Dashboard and DORA over ${REPOSITORIES} repositories × ${ENVIRONMENTS} environments, ${DEPLOYMENTS} deployments`,
        figures,
        baseline,
      );
    },
  );
}
