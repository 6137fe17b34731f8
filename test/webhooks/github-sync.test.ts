import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { delivery, eventually, sample, send, setRepository } from '../helpers/deliveries.ts';
import { deploymentDelivery } from '../helpers/github-echo.ts';
import { query } from '../helpers/postgres.ts';
import { startServerWithGithub } from '../helpers/server-with-github.ts';

const SECRET = 'sync-webhook-secret';
const TOKEN = 'test-key-sync-0123456789';

describe('the record reflected into GitHub Deployments', () => {
  let setup: Awaited<ReturnType<typeof startServerWithGithub>>;
  const api = () => apiClient(setup.server.url, TOKEN);

  beforeAll(async () => {
    setup = await startServerWithGithub({
      DEPLOYLEDGER_API_KEYS: `acme/synced=${TOKEN}`,
      GITHUB_WEBHOOK_SECRET: SECRET,
    });
  });
  afterAll(() => setup.stop());

  it('creates one GitHub deployment despite a 502, and posts one status per transition, in order', async () => {
    setup.github.failNext(1, 502);
    const created = await api().create('4242-1', {
      repository: 'acme/synced',
      environment: 'production',
      sha: SHA,
      state: 'in_progress',
      environment_url: 'https://shop.example.com',
      description: 'Deploying from CI',
    });
    expect(created.status).toBe(201);
    await eventually(async () => (setup.github.statuses.length === 1 ? true : undefined));
    expect((await api().status(created.body.id, { state: 'success' })).body.applied).toBe(true);
    await eventually(async () => (setup.github.statuses.length === 2 ? true : undefined));

    const creates = setup.github.calls.filter(
      (call) => call.method === 'POST' && call.path.endsWith('/deployments'),
    );
    expect(creates.map((call) => call.status)).toEqual([502, 201]);
    expect(setup.github.deployments).toHaveLength(1);
    const [deployment] = setup.github.deployments;
    expect(deployment).toMatchObject({
      ref: SHA,
      environment: 'production',
      payload: { deployledger: { id: created.body.id } },
    });
    expect(creates[1]!.body).toMatchObject({ auto_merge: false, required_contexts: [] });
    expect(setup.github.statuses.map((status) => status.state)).toEqual(['in_progress', 'success']);
    // The environment URL is sent on every status, so "View deployment" never vanishes.
    expect(setup.github.statuses.map((status) => status.environment_url)).toEqual([
      'https://shop.example.com',
      'https://shop.example.com',
    ]);

    const record = (await api().get(created.body.id)).body;
    expect(record.github_deployment_id).toBe(deployment!.id);
    const notes = record.events
      .filter((e: { source: string }) => e.source === 'github')
      .map((e: { reason: string }) => e.reason);
    expect(notes).toEqual(['github_deployment_created', 'github_status_posted', 'github_status_posted']);
  });

  it('an echo of our own deployment and status by webhook changes nothing and calls GitHub no more', async () => {
    const [deployment] = setup.github.deployments;
    const [record] = (await api().list({ repository: 'acme/synced' })).body.deployments;
    const callsBefore = setup.github.calls.length;

    const echoDeployment = sample('deployment', (p) => !p.workflow_run);
    Object.assign(echoDeployment.deployment, {
      id: deployment!.id,
      sha: SHA,
      environment: 'production',
      payload: deployment!.payload,
      created_at: new Date().toISOString(),
    });
    setRepository(echoDeployment, 'acme/synced');
    const echoStatus = sample('deployment_status', (p) => p.deployment_status.state === 'success');
    echoStatus.deployment = structuredClone(echoDeployment.deployment);
    echoStatus.deployment_status.created_at = new Date().toISOString();
    setRepository(echoStatus, 'acme/synced');

    expect((await send(setup.server.url, SECRET, delivery('deployment', echoDeployment))).status).toBe(202);
    expect((await send(setup.server.url, SECRET, delivery('deployment_status', echoStatus))).status).toBe(
      202,
    );
    const after = await eventually(async () => {
      const r = (await api().get(record.id)).body;
      return r.events.filter((e: { source: string }) => e.source === 'webhook').length === 2 ? r : undefined;
    });
    expect(after.state).toBe('success');
    expect(after.deployed_at).toBe(record.deployed_at);
    const echoes = after.events.filter((e: { source: string }) => e.source === 'webhook');
    expect(echoes.map((e: { applied: boolean; reason: string }) => [e.applied, e.reason])).toEqual([
      [false, 'late'],
      [false, 'duplicate'],
    ]);
    expect((await api().list({ repository: 'acme/synced' })).body.deployments).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(setup.github.calls.length).toBe(callsBefore);
  });

  it('two job deployments of one run attempt (matrix jobs): the older is adopted; the other, not ours, is never deleted', async () => {
    const callsBefore = setup.github.calls.length;
    const job = { sha: SHA, environment: 'matrix', workflowRun: { id: 5151, run_attempt: 1 } };
    const older = setup.github.addDeployment('acme/synced', job);
    const newer = setup.github.addDeployment('acme/synced', job);
    expect((await send(setup.server.url, SECRET, deploymentDelivery(newer))).status).toBe(202);
    const opened = await eventually(async () => {
      const [r] = (await api().list({ repository: 'acme/synced', environment: 'matrix' })).body.deployments;
      return r?.github_deployment_id === newer.id ? r : undefined;
    });
    expect((await send(setup.server.url, SECRET, deploymentDelivery(older))).status).toBe(202);
    const adopted = await eventually(async () => {
      const r = (await api().get(opened.id)).body;
      return r.events.some((e: { reason: string }) => e.reason === 'github_deployment_not_ours')
        ? r
        : undefined;
    });
    expect(adopted.github_deployment_id).toBe(older.id);
    expect(setup.github.deployments.map((d) => d.id)).toEqual(expect.arrayContaining([older.id, newer.id]));
    // Read to check the marker, never written to: no inactive status, no delete.
    expect(setup.github.calls.slice(callsBefore).filter((call) => call.method !== 'GET')).toEqual([]);
  });

  it('a secondary rate limit without Retry-After is waited out (a minute), not given up', async () => {
    // GitHub's answer over its content-creation limit may carry neither Retry-After nor
    // x-ratelimit-remaining: 0 ("otherwise wait at least one minute").
    setup.github.limitNext(1, {
      status: 403,
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
    });
    const created = await api().create('4343-1', {
      repository: 'acme/synced',
      environment: 'limited',
      sha: SHA,
      state: 'in_progress',
    });
    expect(created.status).toBe(201);
    const job = await eventually(async () => {
      const [row] = await query<{ due_in_ms: number; done_at: Date | null; last_error: string }>(
        setup.db.url,
        `SELECT (extract(epoch FROM run_at - now()) * 1000)::int AS due_in_ms, done_at, last_error
           FROM outbox_job WHERE deployment_id = $1 AND last_error IS NOT NULL`,
        [created.body.id],
      );
      return row;
    });
    expect(job.done_at).toBeNull();
    expect(job.last_error).toMatch(/secondary rate limit/);
    expect(job.due_in_ms).toBeGreaterThan(50_000);

    // The minute has passed: the call goes through, and the record says nothing failed.
    await query(setup.db.url, 'UPDATE outbox_job SET run_at = now() WHERE deployment_id = $1', [
      created.body.id,
    ]);
    const record = await eventually(async () => {
      const r = (await api().get(created.body.id)).body;
      return r.github_deployment_id ? r : undefined;
    });
    const notes = record.events.filter((e: { source: string }) => e.source === 'github');
    expect(notes.map((e: { reason: string }) => e.reason)).not.toContain('github_call_failed');
    expect(setup.github.deployments.filter((d) => d.environment === 'limited')).toHaveLength(1);
  });

  it('a call GitHub cannot take is tried again past any number of attempts, and given up a day after it was queued', async () => {
    setup.github.failNext(1_000, 502);
    try {
      const created = await api().create('4444-1', {
        repository: 'acme/synced',
        environment: 'outage',
        sha: SHA,
        state: 'in_progress',
      });
      expect(created.status).toBe(201);
      const job = () =>
        query<{ attempts: number; done: boolean; last_error: string | null }>(
          setup.db.url,
          `SELECT attempts, done_at IS NOT NULL AS done, last_error FROM outbox_job
            WHERE deployment_id = $1 ORDER BY id LIMIT 1`,
          [created.body.id],
        ).then((rows) => rows[0]);
      await eventually(async () => ((await job())?.last_error ? true : undefined));
      // GitHub has been answering 502 for 40 attempts: the call is still tried again.
      await query(
        setup.db.url,
        'UPDATE outbox_job SET attempts = 40, run_at = now(), last_error = NULL WHERE deployment_id = $1',
        [created.body.id],
      );
      const after41 = await eventually(async () => {
        const row = await job();
        return row && row.attempts === 41 && row.last_error ? row : undefined;
      });
      expect(after41.done).toBe(false);
      // Queued a day ago: the next failure gives it up, and the record says so.
      await query(
        setup.db.url,
        "UPDATE outbox_job SET created_at = now() - interval '25 hours', run_at = now() WHERE deployment_id = $1",
        [created.body.id],
      );
      await eventually(async () => ((await job())?.done ? true : undefined));
      const record = await eventually(async () => {
        const r = (await api().get(created.body.id)).body;
        return r.events.some((e: { reason: string }) => e.reason === 'github_call_failed') ? r : undefined;
      });
      expect(record.github_deployment_id).toBeNull();
    } finally {
      setup.github.clearFailures();
    }
  });
});
