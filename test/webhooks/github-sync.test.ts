import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { delivery, eventually, sample, send, setRepository } from '../helpers/deliveries.ts';
import { startGithubApi } from '../helpers/github-api.ts';
import { deploymentDelivery } from '../helpers/github-echo.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const SECRET = 'sync-webhook-secret';
const TOKEN = 'test-key-sync-0123456789';

describe('the record reflected into GitHub Deployments', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let github: Awaited<ReturnType<typeof startGithubApi>>;
  let server: RunningServer;
  const api = () => apiClient(server.url, TOKEN);

  beforeAll(async () => {
    db = await createTestDatabase();
    github = await startGithubApi();
    server = await startServer({
      DATABASE_URL: db.url,
      DEPLOYLEDGER_API_KEYS: `acme/synced=${TOKEN}`,
      GITHUB_WEBHOOK_SECRET: SECRET,
      GITHUB_TOKEN: 'ghs_test_token',
      GITHUB_API_URL: github.url,
      DEPLOYLEDGER_GITHUB_RETRY_BASE_MS: '50',
    });
  });
  afterAll(async () => {
    await server.stop();
    await github.close();
    await db.drop();
  });

  it('creates one GitHub deployment despite a 502, and posts one status per transition, in order', async () => {
    github.failNext(1, 502);
    const created = await api().create('4242-1', {
      repository: 'acme/synced',
      environment: 'production',
      sha: SHA,
      state: 'in_progress',
      environment_url: 'https://shop.example.com',
      description: 'Deploying from CI',
    });
    expect(created.status).toBe(201);
    await eventually(async () => (github.statuses.length === 1 ? true : undefined));
    expect((await api().status(created.body.id, { state: 'success' })).body.applied).toBe(true);
    await eventually(async () => (github.statuses.length === 2 ? true : undefined));

    const creates = github.calls.filter(
      (call) => call.method === 'POST' && call.path.endsWith('/deployments'),
    );
    expect(creates.map((call) => call.status)).toEqual([502, 201]);
    expect(github.deployments).toHaveLength(1);
    const [deployment] = github.deployments;
    expect(deployment).toMatchObject({
      ref: SHA,
      environment: 'production',
      payload: { deployledger: { id: created.body.id } },
    });
    expect(creates[1]!.body).toMatchObject({ auto_merge: false, required_contexts: [] });
    expect(github.statuses.map((status) => status.state)).toEqual(['in_progress', 'success']);
    // The environment URL is sent on every status, so "View deployment" never vanishes.
    expect(github.statuses.map((status) => status.environment_url)).toEqual([
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
    const [deployment] = github.deployments;
    const [record] = (await api().list({ repository: 'acme/synced' })).body.deployments;
    const callsBefore = github.calls.length;

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

    expect((await send(server.url, SECRET, delivery('deployment', echoDeployment))).status).toBe(202);
    expect((await send(server.url, SECRET, delivery('deployment_status', echoStatus))).status).toBe(202);
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
    expect(github.calls.length).toBe(callsBefore);
  });

  it('two job deployments of one run attempt (matrix jobs): the older is adopted; the other, not ours, is never deleted', async () => {
    const callsBefore = github.calls.length;
    const job = { sha: SHA, environment: 'matrix', workflowRun: { id: 5151, run_attempt: 1 } };
    const older = github.addDeployment('acme/synced', job);
    const newer = github.addDeployment('acme/synced', job);
    expect((await send(server.url, SECRET, deploymentDelivery(newer))).status).toBe(202);
    const opened = await eventually(async () => {
      const [r] = (await api().list({ repository: 'acme/synced', environment: 'matrix' })).body.deployments;
      return r?.github_deployment_id === newer.id ? r : undefined;
    });
    expect((await send(server.url, SECRET, deploymentDelivery(older))).status).toBe(202);
    const adopted = await eventually(async () => {
      const r = (await api().get(opened.id)).body;
      return r.events.some((e: { reason: string }) => e.reason === 'github_deployment_not_ours')
        ? r
        : undefined;
    });
    expect(adopted.github_deployment_id).toBe(older.id);
    expect(github.deployments.map((d) => d.id)).toEqual(expect.arrayContaining([older.id, newer.id]));
    // Read to check the marker, never written to: no inactive status, no delete.
    expect(github.calls.slice(callsBefore).filter((call) => call.method !== 'GET')).toEqual([]);
  });
});
