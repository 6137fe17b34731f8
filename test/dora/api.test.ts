import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../helpers/api.ts';
import { expectedFigures, type SeededDeployment, seedShopHistory } from '../helpers/dora-history.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const SHOP_KEY = 'test-key-dora-api-shop-0123456789';
const OTHER_KEY = 'test-key-dora-api-other-0123456789';
const DAY = 24 * 3600_000;
const METRICS_TOKEN = 'test-metrics-token-dora-0123456789';

// The embedded default database (no DATABASE_URL), as `npm start` runs it out of the box.
describe('GET /v1/dora and the DORA gauges, on the embedded database', () => {
  let server: RunningServer;
  let seeded: SeededDeployment[];
  const now = new Date();

  beforeAll(async () => {
    server = await startServer({
      DEPLOYLEDGER_API_KEYS: `acme/shop=${SHOP_KEY},acme/other=${OTHER_KEY}`,
      DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0',
      // The DORA gauges name repositories and environments: served only behind this token.
      DEPLOYLEDGER_METRICS_TOKEN: METRICS_TOKEN,
    });
    seeded = await seedShopHistory(apiClient(server.url, SHOP_KEY), now);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers the figures the seeded history implies for a window given with an offset', async () => {
    const since = new Date(now.getTime() - 7 * DAY);
    const until = now;
    // The same instants written in UTC+05:30.
    const local = (date: Date) =>
      new Date(date.getTime() + 5.5 * 3600_000).toISOString().replace('Z', '+05:30');
    const query = new URLSearchParams({
      repository: 'acme/shop',
      environment: 'production',
      since: local(since),
      until: local(until),
    });
    const response = await apiClient(server.url, SHOP_KEY).call('GET', `/v1/dora?${query}`);
    expect(response.status).toBe(200);
    expect(response.body.since).toBe(since.toISOString());
    const expected = expectedFigures(seeded, 'production', since, until);
    const [production] = response.body.environments;
    expect(response.body.environments).toHaveLength(1);
    expect(production).toMatchObject({
      repository: 'acme/shop',
      environment: 'production',
      deployment_frequency: { deployments: 3, band_year: 2024 },
      change_lead_time: {
        median_seconds: expected.leadTimeSeconds,
        samples: 3,
        band: 'elite',
        band_year: 2024,
      },
      change_fail_rate: {
        rate: expected.changeFailureRate,
        failed: 1,
        finished: 4,
        band: 'high',
        band_year: 2024,
      },
      failed_deployment_recovery_time: {
        median_seconds: expected.timeToRestoreSeconds,
        failures: 1,
        recovered: 1,
        unrecovered: 0,
        band: 'high',
        band_year: 2024,
      },
      // Each seeded deployment deploys a new sha, long after any failure: no rework.
      deployment_rework_rate: { rate: 0, rework: 0, deployments: 3, after_failure_minutes: 60 },
    });
    expect(production.deployment_frequency.per_day).toBeCloseTo(expected.perDay, 9);
    expect(production.deployment_frequency.band).toBe('high'); // 3 in 7 days
    expect(production.trend).toHaveLength(7);
    // The answer is what GET /openapi.json says it is.
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      components: { schemas: { DoraReport: object } };
    };
    const validate = ajv.compile(document.components.schemas.DoraReport);
    expect(validate(response.body), JSON.stringify(validate.errors)).toBe(true);
    expect(production.trend.reduce((sum: number, p: { deployments: number }) => sum + p.deployments, 0)).toBe(
      3,
    );
  });

  it('lists every environment of the token’s repositories and refuses another repository', async () => {
    const all = await apiClient(server.url, SHOP_KEY).call('GET', '/v1/dora');
    expect(all.body.environments.map((e: { environment: string }) => e.environment)).toEqual([
      'production',
      'qa',
      'staging',
    ]);
    const other = apiClient(server.url, OTHER_KEY);
    expect((await other.call('GET', '/v1/dora?repository=acme/shop')).status).toBe(403);
    expect((await other.call('GET', '/v1/dora')).body.environments).toEqual([]);
    expect((await apiClient(server.url, 'wrong').call('GET', '/v1/dora')).status).toBe(401);
    const bad = await other.call('GET', '/v1/dora?since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z');
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('since must be before until');
  });

  it('answers a page of environments at a time, in order, with a cursor to the next', async () => {
    const shop = apiClient(server.url, SHOP_KEY);
    // One window of whole UTC days for the three reads: the default one moves at midnight.
    const until = new Date(Math.ceil(now.getTime() / DAY) * DAY).toISOString();
    const window = `since=${new Date(Date.parse(until) - 30 * DAY).toISOString()}&until=${until}`;
    const whole = await shop.call('GET', `/v1/dora?${window}`);
    expect(whole.body.next_cursor).toBeNull();
    const first = await shop.call('GET', `/v1/dora?${window}&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.environments.map((e: { environment: string }) => e.environment)).toEqual([
      'production',
      'qa',
    ]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await shop.call('GET', `/v1/dora?${window}&limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.environments.map((e: { environment: string }) => e.environment)).toEqual(['staging']);
    expect(second.body.next_cursor).toBeNull();
    // The pages together are the whole answer, figure for figure.
    expect([...first.body.environments, ...second.body.environments]).toEqual(whole.body.environments);
    for (const bad of ['/v1/dora?cursor=not-issued', '/v1/dora?limit=0', '/v1/dora?limit=201']) {
      const refused = await shop.call('GET', bad);
      expect(refused.status, bad).toBe(400);
    }
  });

  it('a cursor or a window the database cannot read → 400 naming it, not a 500', async () => {
    const shop = apiClient(server.url, SHOP_KEY);
    const crafted = Buffer.from(JSON.stringify(['acme/shop\u0000', 'production'])).toString('base64url');
    const refused = await shop.call('GET', `/v1/dora?repository=acme/shop&cursor=${crafted}`);
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toMatch(/cursor is not one this server issued/);
    for (const [window, field] of [
      ['since=0000-06-01T00:00:00Z&until=0000-06-08T00:00:00Z', 'since'],
      ['until=0000-01-15T00:00:00Z', 'until'],
      ['until=9999-12-31T23:00:00-05:00', 'until'],
      ['since=1900-01-01T00:00:00Z&until=1900-01-08T00:00:00Z', 'since'],
    ]) {
      const answer = await shop.call('GET', `/v1/dora?${window}`);
      expect(answer.status, window).toBe(400);
      expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });

  it('exports the figures as Prometheus gauges per repository and environment', async () => {
    const text = await (
      await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    const gauge = (name: string) =>
      Number(
        new RegExp(`^${name}\\{repository="acme/shop",environment="production"\\} (\\S+)$`, 'm').exec(
          text,
        )?.[1],
      );
    const expected = expectedFigures(seeded, 'production', new Date(now.getTime() - 30 * DAY), now);
    expect(gauge('deployledger_dora_deployments_per_day')).toBeCloseTo(expected.perDay, 4);
    expect(gauge('deployledger_dora_change_lead_time_seconds')).toBe(expected.leadTimeSeconds);
    expect(gauge('deployledger_dora_change_fail_ratio')).toBe(expected.changeFailureRate);
    expect(gauge('deployledger_dora_failed_deployment_recovery_time_seconds')).toBe(
      expected.timeToRestoreSeconds,
    );
    expect(gauge('deployledger_dora_deployment_rework_ratio')).toBe(0);
    // qa's failure is not recovered yet: no recovery gauge rather than a made-up value.
    expect(text).not.toMatch(
      /deployledger_dora_failed_deployment_recovery_time_seconds\{repository="acme\/shop",environment="qa"\}/,
    );
  });
});
