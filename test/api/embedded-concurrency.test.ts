import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { delivery, eventually, sample, send } from '../helpers/deliveries.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const KEY = 'test-key-embedded-concurrency-0123';
const SECRET = 'embedded-concurrency-secret';
const CONCURRENCY = 32;
const LOAD_MS = 4000;

interface Record {
  key: string;
  environment: string;
  github_deployment_id: number | null;
}

/** Every record of acme/shop, page by page, as a user's script would list them. */
async function allRecords(server: RunningServer): Promise<Record[]> {
  const api = apiClient(server.url, KEY);
  const records: Record[] = [];
  let cursor: string | null = null;
  do {
    const query: { [name: string]: string } = { repository: 'acme/shop', limit: '200' };
    if (cursor) query.cursor = cursor;
    const page = await api.list(query);
    expect(page.status).toBe(200);
    records.push(...page.body.deployments);
    cursor = page.body.next_cursor;
  } while (cursor);
  return records;
}

// The embedded database is the README's default. PGlite is one backend that every connection
// of the server shares: requests answered while the delivery worker folds must not see each
// other's statements (they once got 500/503, "bind message supplies 39 parameters, but prepared
// statement "" requires 3").
describe('the embedded database under concurrent creates and deliveries', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({
      DATABASE_URL: undefined,
      DEPLOYLEDGER_API_KEYS: `acme/shop=${KEY}`,
      GITHUB_WEBHOOK_SECRET: SECRET,
    });
  }, 180_000); // the first start runs initdb
  afterAll(async () => {
    await server?.stop();
  });

  it('answers every request without a 5xx and keeps every record', async () => {
    const api = apiClient(server.url, KEY);
    const payload = sample('deployment_status', (p) => p.deployment_status.state === 'success');
    payload.repository.full_name = 'acme/shop';
    const statuses: { [status: string]: number } = {};
    let created = 0;
    let delivered = 0;
    const deadline = Date.now() + LOAD_MS;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, loop) => {
        // At least a few rounds each, however slow the machine: 32 concurrent of each kind.
        for (let round = 0; round < 4 || Date.now() < deadline; round++) {
          let status: number;
          if ((loop + round) % 2 === 0) {
            const i = created++;
            const body = { repository: 'acme/shop', environment: `api-${i}`, sha: SHA, state: 'success' };
            status = (await api.create(`create-${i}`, body)).status;
          } else {
            const i = delivered++;
            const each = structuredClone(payload);
            each.deployment.id = 900_000 + i;
            each.deployment.environment = `hook-${i}`;
            each.deployment_status.id = 9_000_000 + i;
            status = (await send(server.url, SECRET, delivery('deployment_status', each))).status;
          }
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      }),
    );
    expect(statuses).toEqual({ 201: created, 202: delivered });
    expect(created).toBeGreaterThan(CONCURRENCY);
    expect(delivered).toBeGreaterThan(CONCURRENCY);

    // Deliveries are acknowledged once stored; the worker folds them into records after.
    const records = await eventually(async () => {
      const all = await allRecords(server);
      return all.length >= created + delivered ? all : undefined;
    }, 60_000);
    const environments = new Set(records.map((r) => r.environment));
    for (let i = 0; i < created; i++) expect(environments).toContain(`api-${i}`);
    for (let i = 0; i < delivered; i++) expect(environments).toContain(`hook-${i}`);
    expect(records).toHaveLength(created + delivered);
    expect(server.logs.filter((line) => line.includes('"level":"error"'))).toEqual([]);
  }, 120_000);
});
