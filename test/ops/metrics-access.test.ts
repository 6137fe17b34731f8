import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const KEY = 'test-key-metrics-access-0123456789';
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

const drops: Array<() => Promise<void>> = [];

/** Starts a server on a fresh database with one successful deployment of acme/secret-name. */
async function serverWithHistory(env: Record<string, string> = {}) {
  const db = await createTestDatabase();
  drops.push(db.drop);
  const server = await startServer({
    DATABASE_URL: db.url,
    DEPLOYLEDGER_API_KEYS: `acme/secret-name=${KEY}`,
    DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0',
    ...env,
  });
  const created = await apiClient(server.url, KEY).create('1-1', {
    repository: 'acme/secret-name',
    environment: 'hidden-env',
    sha: SHA,
    state: 'success',
  });
  expect(created.status).toBe(201);
  return server;
}

const scrape = (server: RunningServer, token?: string) =>
  fetch(`${server.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

describe('who may read /metrics (DEPLOYLEDGER_METRICS_TOKEN)', () => {
  const servers: RunningServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await Promise.all(drops.map((drop) => drop()));
  });

  it('without a token: /metrics is open but names no repository or environment (no DORA gauges)', async () => {
    const server = await serverWithHistory();
    servers.push(server);
    const answer = await scrape(server);
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(text).toContain('deployledger_http_request_duration_seconds');
    expect(text).not.toContain('deployledger_dora_');
    expect(text).not.toContain('secret-name');
    expect(text).not.toContain('hidden-env');
    expect(server.logs.join('\n')).toContain('DEPLOYLEDGER_METRICS_TOKEN is not set');
  });

  it('with a token: 401 without it or with another, the DORA gauges with it', async () => {
    const server = await serverWithHistory({ DEPLOYLEDGER_METRICS_TOKEN: METRICS_TOKEN });
    servers.push(server);
    for (const token of [undefined, 'metrics-token-0123456789abcdeX', `${METRICS_TOKEN}x`]) {
      const refused = await scrape(server, token);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
      const body = (await refused.json()) as { detail: string };
      expect(body.detail).toContain('DEPLOYLEDGER_METRICS_TOKEN');
      expect(JSON.stringify(body)).not.toContain('secret-name');
    }
    const answer = await scrape(server, METRICS_TOKEN);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toMatch(
      /^deployledger_dora_deployments_per_day\{repository="acme\/secret-name",environment="hidden-env"\} /m,
    );
  });

  it('a token too short to be a secret stops the start with the setting named', async () => {
    await expect(startServer({ DEPLOYLEDGER_METRICS_TOKEN: 'short' })).rejects.toThrow(
      /DEPLOYLEDGER_METRICS_TOKEN: must be at least 16 characters/,
    );
  });
});
