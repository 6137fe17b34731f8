import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEYS, TOKEN } from '../api/api-suite.ts';
import { apiClient } from '../helpers/api.ts';
import { waitFor } from '../helpers/k8s-watch.ts';
import { startMetricsEndpoint } from '../helpers/metrics-endpoint.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const sha = () => randomBytes(20).toString('hex');
const SAMPLING = {
  DEPLOYLEDGER_SAMPLING_INTERVAL_SECONDS: '0.2',
  DEPLOYLEDGER_SAMPLING_POST_COUNT: '3',
  DEPLOYLEDGER_SAMPLING_POST_WINDOW_SECONDS: '2',
  DEPLOYLEDGER_SAMPLING_TIMEOUT_MS: '3000',
  DEPLOYLEDGER_SAMPLING_MAX_BYTES: String(1024 * 1024),
};

type Endpoint = Awaited<ReturnType<typeof startMetricsEndpoint>>;
interface Event {
  source: string;
  reason: string | null;
  detail: { phase?: string; error?: string };
}
const failures = (record: { events: Event[] }) =>
  record.events.filter((event) => event.reason === 'metrics_sample_failed');

describe('metric sampling (two server processes on one PostgreSQL database)', () => {
  let endpoint: Endpoint;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let servers: RunningServer[] = [];
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    endpoint = await startMetricsEndpoint();
    db = await createTestDatabase();
    // The test endpoints listen on 127.0.0.1, so these servers allow private addresses explicitly.
    const env = {
      DATABASE_URL: db.url,
      DEPLOYLEDGER_API_KEYS: API_KEYS,
      DEPLOYLEDGER_SAMPLING_ALLOW_PRIVATE: 'true',
      ...SAMPLING,
    };
    servers = [await startServer(env), await startServer(env)];
    api = apiClient(servers[0]!.url, TOKEN);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await db?.drop();
    await endpoint?.close();
  });

  const create = async (key: string, environment: string, path: string) => {
    const { status, body } = await api.create(key, {
      repository: 'acme/shop',
      environment,
      sha: sha(),
      state: 'in_progress',
      metrics_endpoint: `${endpoint.url}${path}`,
    });
    expect(status).toBe(201);
    return body as { id: string };
  };

  it('two collectors sampling one deployment at once store one value per metric and time; post samples and the comparison follow success', async () => {
    const record = await create('1-1', 'together', '/together');
    const pre = await waitFor('the pre sample', async () => {
      const rows = await query<{ phase: string; collected_at: Date; name: string; value: number }>(
        db.url,
        `SELECT phase, collected_at, name, value FROM metric_sample WHERE deployment_id = $1 AND phase = 'pre'`,
        [record.id],
      );
      return rows.length > 0 && rows;
    });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // both collectors have written what they would
    expect(endpoint.hits['/together']).toBe(2); // both collectors fetched the pre sample
    const preRows = await query(
      db.url,
      `SELECT * FROM metric_sample WHERE deployment_id = $1 AND phase = 'pre'`,
      [record.id],
    );
    expect(preRows).toHaveLength(3); // three series, one time, once each
    expect(new Set(pre.map((row) => row.collected_at.toISOString())).size).toBe(1);

    expect((await api.status(record.id, { state: 'success' })).status).toBe(200);
    const read = await waitFor('three post samples', async () => {
      const { body } = await api.get(record.id);
      return body.metrics?.post_collected_at.length === 3 && body;
    });
    expect(read.metrics.pre_collected_at).toHaveLength(1);
    const post = await query(
      db.url,
      `SELECT * FROM metric_sample WHERE deployment_id = $1 AND phase = 'post'`,
      [record.id],
    );
    expect(post).toHaveLength(9);
    const requests = read.metrics.comparison.find(
      (m: { name: string }) => m.name === 'app_requests_total{code="200"}',
    );
    expect(requests.pre).toBeGreaterThan(0);
    expect(requests.post).toBeGreaterThan(requests.pre);
    expect(requests.change).toBeCloseTo(requests.post - requests.pre);
    expect(
      read.metrics.comparison.find((m: { name: string }) => m.name === 'app_latency_seconds'),
    ).toMatchObject({
      pre: 0.25,
      post: 0.25,
      change: 0,
    });
    expect(failures(read)).toEqual([]);
  });

  it('reads JSON endpoints too', async () => {
    const record = await create('2-1', 'json', '/json');
    const read = await waitFor('the pre sample', async () => {
      const { body } = await api.get(record.id);
      return body.metrics?.pre_collected_at.length === 1 && body;
    });
    expect(read.metrics.comparison.map((m: { name: string }) => m.name)).toEqual([
      'latency_seconds',
      'requests.failed',
      'requests.ok',
    ]);
  });

  it('cuts off an endpoint that hangs, and one that sends 10 MB, with a clear error on the timeline', async () => {
    const hanging = await create('3-1', 'hang', '/hang');
    const huge = await create('4-1', 'huge', '/huge');
    const hangRead = await waitFor('the hang to be cut off', async () => {
      const { body } = await api.get(hanging.id);
      return failures(body).length > 0 && body;
    });
    expect(failures(hangRead)[0]!.detail.error).toMatch(
      /did not answer within 3000 ms \(DEPLOYLEDGER_SAMPLING_TIMEOUT_MS\)/,
    );
    const hugeRead = await waitFor('the 10 MB to be cut off', async () => {
      const { body } = await api.get(huge.id);
      return failures(body).length > 0 && body;
    });
    expect(failures(hugeRead)[0]!.detail.error).toMatch(
      /sent more than 1048576 bytes \(DEPLOYLEDGER_SAMPLING_MAX_BYTES\); cut off/,
    );
    const stored = await query(db.url, 'SELECT 1 FROM metric_sample WHERE deployment_id = ANY($1::uuid[])', [
      [hanging.id, huge.id],
    ]);
    expect(stored).toEqual([]);
  });
});

describe('metric sampling without DEPLOYLEDGER_SAMPLING_ALLOW_PRIVATE', () => {
  let endpoint: Endpoint;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;

  beforeAll(async () => {
    endpoint = await startMetricsEndpoint();
    db = await createTestDatabase();
    server = await startServer({ DATABASE_URL: db.url, DEPLOYLEDGER_API_KEYS: API_KEYS, ...SAMPLING });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await endpoint?.close();
  });

  it('refuses a private-address endpoint and never calls it', async () => {
    const api = apiClient(server.url, TOKEN);
    const { body: record } = await api.create('1-1', {
      repository: 'acme/shop',
      environment: 'private',
      sha: sha(),
      state: 'in_progress',
      metrics_endpoint: `${endpoint.url}/metrics`,
    });
    const read = await waitFor('the refusal', async () => {
      const { body } = await api.get(record.id);
      return failures(body).length > 0 && body;
    });
    expect(failures(read)[0]!.detail.error).toMatch(
      /refused: it resolves to a private, loopback or link-local address .*Set DEPLOYLEDGER_SAMPLING_ALLOW_PRIVATE=true/,
    );
    expect(endpoint.hits['/metrics'] ?? 0).toBe(0);
    expect(read.metrics.comparison).toEqual([]);
  });

  it('never shows or logs the credentials of a metrics_endpoint (API, timeline, dashboard, logs)', async () => {
    const api = apiClient(server.url, TOKEN);
    const secret = 'pw-s3cret-in-url';
    const { body: record } = await api.create('2-1', {
      repository: 'acme/shop',
      environment: 'with-credentials',
      sha: sha(),
      state: 'in_progress',
      metrics_endpoint: `http://scraper:${secret}@127.0.0.1:9/metrics`,
    });
    const read = await waitFor('the refusal', async () => {
      const { body } = await api.get(record.id);
      return failures(body).length > 0 && body;
    });
    expect(read.metrics.endpoint).toBe('http://***@127.0.0.1:9/metrics');
    expect(failures(read)[0]!.detail.error).toContain('http://***@127.0.0.1:9/metrics');
    expect(JSON.stringify(read)).not.toContain(secret);
    expect(JSON.stringify(read)).not.toContain('scraper:');

    const signIn = await fetch(`${server.url}/dashboard/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: TOKEN, next: '/dashboard' }).toString(),
    });
    const cookie = signIn.headers.get('set-cookie')?.split(';')[0] ?? '';
    const page = await fetch(`${server.url}/dashboard/deployments/${record.id}`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('metrics_sample_failed');
    expect(html).not.toContain(secret);

    expect(server.logs.join('\n')).toContain('metrics sample failed');
    expect(server.logs.join('\n')).not.toContain(secret);
    // Kept for sampling itself: the stored record still has the credentials it needs.
    const [stored] = await query<{ metrics_endpoint: string }>(
      db.url,
      'SELECT metrics_endpoint FROM deployment WHERE id = $1',
      [record.id],
    );
    expect(stored?.metrics_endpoint).toContain(secret);
  });
});
