export { API_KEYS, OTHER_TOKEN, TOKEN } from '../helpers/api.ts';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEYS, apiClient, OTHER_TOKEN, SHA, TOKEN } from '../helpers/api.ts';
import type { RunningServer } from '../helpers/server.ts';

/** The contract's HTTP API, run against a server on either database. */
export function defineApiSuite(
  label: string,
  start: () => Promise<{ server: RunningServer; cleanup?: () => Promise<void> }>,
) {
  describe(`HTTP API (${label})`, () => {
    let server: RunningServer;
    let cleanup: (() => Promise<void>) | undefined;
    let api: ReturnType<typeof apiClient>;
    let env = 0;
    const newEnv = () => `env-${++env}`;

    beforeAll(async () => {
      ({ server, cleanup } = await start());
      api = apiClient(server.url, TOKEN);
    });
    afterAll(async () => {
      await server?.stop();
      await cleanup?.();
    });

    it('creates a record (201 with Location) and reads it back with its timeline', async () => {
      const environment = newEnv();
      const created = await api.create('"100-1"', {
        repository: 'acme/shop',
        environment,
        sha: SHA,
        ref: 'refs/heads/main',
        state: 'running',
        log_url: 'https://github.com/acme/shop/actions/runs/100',
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`/v1/deployments/${created.body.id}`);
      expect(created.body).toMatchObject({
        repository: 'acme/shop',
        environment,
        key: '100-1',
        state: 'in_progress',
        run_id: 100,
        run_attempt: 1,
        deployed_at: null,
      });
      expect(created.body.started_at).not.toBeNull();
      const read = await api.get(created.body.id);
      expect(read.status).toBe(200);
      expect(read.body.events).toHaveLength(1);
      expect(read.body.events[0]).toMatchObject({ source: 'action', state: 'in_progress', applied: true });
    });

    it('replays the same key and body (quoted or bare) as 200 with Idempotent-Replayed', async () => {
      const body = { repository: 'acme/shop', environment: newEnv(), sha: SHA };
      const first = await api.create('"200-1"', body);
      const again = await api.create('200-1', body);
      expect(first.status).toBe(201);
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.id).toBe(first.body.id);
    });

    it('answers 422 for the same key with a different body and changes nothing', async () => {
      const environment = newEnv();
      const first = await api.create('300-1', { repository: 'acme/shop', environment, sha: SHA });
      const other = await api.create('300-1', { repository: 'acme/shop', environment, sha: 'b'.repeat(40) });
      expect(other.status).toBe(422);
      expect(other.headers.get('content-type')).toContain('application/problem+json');
      expect(other.body.deployment_id).toBe(first.body.id);
      expect((await api.get(first.body.id)).body.sha).toBe(SHA);
    });

    it('answers 409 naming the active deployment; supersede: true replaces it', async () => {
      const environment = newEnv();
      const first = await api.create('400-1', {
        repository: 'acme/shop',
        environment,
        sha: SHA,
        state: 'in_progress',
      });
      const busy = await api.create('401-1', { repository: 'acme/shop', environment, sha: SHA });
      expect(busy.status).toBe(409);
      expect(busy.body.active_deployment.id).toBe(first.body.id);
      expect(busy.body.detail).toContain(first.body.id);

      const second = await api.create('401-1', {
        repository: 'acme/shop',
        environment,
        sha: SHA,
        supersede: true,
      });
      expect(second.status).toBe(201);
      const old = await api.get(first.body.id);
      expect(old.body.state).toBe('inactive');
      expect(old.body.events.at(-1)).toMatchObject({
        state: 'inactive',
        applied: true,
        reason: 'superseded',
      });
    });

    it('lets attempt 2 of the same run supersede attempt 1 without asking', async () => {
      const environment = newEnv();
      const first = await api.create('500-1', {
        repository: 'acme/shop',
        environment,
        sha: SHA,
        state: 'in_progress',
      });
      const retry = await api.create('500-2', {
        repository: 'acme/shop',
        environment,
        sha: SHA,
        state: 'in_progress',
      });
      expect(retry.status).toBe(201);
      expect(retry.body.run_attempt).toBe(2);
      expect((await api.get(first.body.id)).body.state).toBe('inactive');
    });

    it('applies statuses in order, records late ones as not applied, and keeps known URLs', async () => {
      const environment = newEnv();
      const { body: record } = await api.create('600-1', { repository: 'acme/shop', environment, sha: SHA });
      const running = await api.status(record.id, {
        state: 'in_progress',
        environment_url: 'https://shop.example.com',
        at: '2026-11-27T10:00:00Z',
      });
      expect(running.body).toMatchObject({ state: 'in_progress', applied: true });
      const done = await api.status(record.id, { state: 'success', at: '2026-11-27T10:05:00Z' });
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({
        state: 'success',
        applied: true,
        environment_url: 'https://shop.example.com',
        deployed_at: '2026-11-27T10:05:00.000Z',
        completed_at: '2026-11-27T10:05:00.000Z',
      });
      const late = await api.status(record.id, { state: 'in_progress', at: '2026-11-27T10:01:00Z' });
      expect(late.status).toBe(200);
      expect(late.body).toMatchObject({ state: 'success', applied: false, reason: 'late' });
      const again = await api.status(record.id, { state: 'success' });
      expect(again.body).toMatchObject({ applied: false, reason: 'duplicate' });
      const events = (await api.get(record.id)).body.events;
      expect(events.map((e: { applied: boolean; reason: string | null }) => [e.applied, e.reason])).toEqual([
        [true, 'created'],
        [true, null],
        [true, null],
        [false, 'late'],
        [false, 'duplicate'],
      ]);
    });

    it('takes statuses by key, with URL-encoded path segments', async () => {
      const environment = 'prod/eu west';
      const { body: record } = await api.create('700-1', { repository: 'acme/shop', environment, sha: SHA });
      const path = `/v1/deployments/by-key/acme/shop/${encodeURIComponent(environment)}/${encodeURIComponent('700-1')}/status`;
      const result = await api.call('POST', path, { state: 'failure' });
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({ id: record.id, state: 'failure', applied: true });
      const missing = await api.call('POST', '/v1/deployments/by-key/acme/shop/nowhere/1-1/status', {
        state: 'success',
      });
      expect(missing.status).toBe(404);
    });

    it('marks an older success inactive when a newer deployment succeeds', async () => {
      const environment = newEnv();
      const first = await api.create('800-1', {
        repository: 'acme/shop',
        environment,
        sha: SHA,
        state: 'success',
      });
      const second = await api.create('801-1', {
        repository: 'acme/shop',
        environment,
        sha: SHA,
        state: 'success',
      });
      expect(second.body.state).toBe('success');
      const old = (await api.get(first.body.id)).body;
      expect(old.state).toBe('inactive');
      expect(old.deployed_at).not.toBeNull();
      expect(old.events.at(-1)).toMatchObject({ reason: 'auto_inactive', source: 'ledger' });
    });

    it('lists newest first with a cursor, filtered by environment and state', async () => {
      const environment = newEnv();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await api.create(`90${i}-1`, {
          repository: 'acme/shop',
          environment,
          sha: SHA,
          state: 'success',
        });
        ids.push(r.body.id);
      }
      const page1 = await api.list({ repository: 'acme/shop', environment, limit: '2' });
      expect(page1.body.deployments.map((d: { id: string }) => d.id)).toEqual([ids[4], ids[3]]);
      const page2 = await api.list({
        repository: 'acme/shop',
        environment,
        limit: '2',
        cursor: page1.body.next_cursor,
      });
      const page3 = await api.list({
        repository: 'acme/shop',
        environment,
        limit: '2',
        cursor: page2.body.next_cursor,
      });
      expect(page2.body.deployments.map((d: { id: string }) => d.id)).toEqual([ids[2], ids[1]]);
      expect(page3.body.deployments.map((d: { id: string }) => d.id)).toEqual([ids[0]]);
      expect(page3.body.next_cursor).toBeNull();
      const successes = await api.list({ repository: 'acme/shop', environment, state: 'success' });
      expect(successes.body.deployments.map((d: { id: string }) => d.id)).toEqual([ids[4]]);
    });

    it('lists every environment of a repository newest first, page by page, however it is spelled', async () => {
      const environments = [newEnv(), newEnv(), newEnv()];
      const made: Array<{ id: string; state: string }> = [];
      for (let i = 0; i < 7; i++) {
        const state = i % 2 === 0 ? 'success' : 'failure';
        const r = await api.create(`91${i}-1`, {
          repository: 'acme/shop',
          environment: environments[i % 3] as string,
          sha: SHA,
          state,
        });
        made.push({ id: r.body.id, state });
      }
      const newest = made.map((m) => m.id).reverse();
      const ids = (page: { body: { deployments: Array<{ id: string }> } }) =>
        page.body.deployments.map((d) => d.id);
      const page1 = await api.list({ repository: 'ACME/Shop', limit: '3' });
      expect(ids(page1)).toEqual(newest.slice(0, 3));
      const page2 = await api.list({ repository: 'acme/shop', limit: '3', cursor: page1.body.next_cursor });
      expect(ids(page2)).toEqual(newest.slice(3, 6));
      const page3 = await api.list({ repository: 'acme/shop', limit: '3', cursor: page2.body.next_cursor });
      expect(ids(page3)[0]).toBe(newest[6]);
      const failures = await api.list({ repository: 'acme/shop', state: 'failure', limit: '3' });
      expect(ids(failures)).toEqual(
        made
          .filter((m) => m.state === 'failure')
          .map((m) => m.id)
          .reverse(),
      );
      // Without a repository: every repository the key may read.
      expect(ids(await api.list({ limit: '2' }))).toEqual(newest.slice(0, 2));
    });

    it('refuses requests without a valid token (401) or for another repository (403)', async () => {
      const body = { repository: 'acme/shop', environment: newEnv(), sha: SHA };
      const none = await fetch(`${server.url}/v1/deployments`);
      expect(none.status).toBe(401);
      expect(none.headers.get('content-type')).toContain('application/problem+json');
      expect((await apiClient(server.url, 'not-a-key').create('1-1', body)).status).toBe(401);
      expect((await apiClient(server.url, OTHER_TOKEN).create('1-1', body)).status).toBe(403);
      expect((await apiClient(server.url, OTHER_TOKEN).list({ repository: 'acme/shop' })).status).toBe(403);
    });

    it('logs one JSON line per request and per decision, each naming the deployment', async () => {
      const created = await api.create('1100-1', {
        repository: 'acme/shop',
        environment: newEnv(),
        sha: SHA,
      });
      const lines = () =>
        server.logs
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>);
      // The server's stdout reaches this process a moment after the response does.
      for (
        let i = 0;
        i < 50 && !lines().some((l) => l.msg === 'request' && l.deployment_id === created.body.id);
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const request = lines().find((l) => l.msg === 'request' && l.deployment_id === created.body.id);
      expect(request).toMatchObject({ method: 'POST', path: '/v1/deployments', status: 201, level: 'info' });
      expect(request?.request_id).toEqual(created.headers.get('x-request-id'));
      const decided = lines().find((l) => l.msg === 'signal decided' && l.deployment_id === created.body.id);
      expect(decided).toMatchObject({ source: 'action', state: 'pending', applied: true });
    });

    it('serves /healthz, /readyz and Prometheus /metrics', async () => {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(200);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain(
        'deployledger_signals_total{source="action",state="in_progress",applied="true"}',
      );
      expect(metrics).toContain('deployledger_http_request_duration_seconds_bucket');
    });
  });
}
