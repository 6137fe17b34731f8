import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../helpers/api.ts';
import { delivery, eventually, sample, send, setRepository } from '../helpers/deliveries.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const SECRET = 'webhook-secret-commit-time';
const TOKEN = 'test-key-commit-time-0123456789';
const REPOSITORY = 'acme/commit-time';
const MINUTE = 60_000;

/** GitHub's sample `workflow_run` delivery of run 289782451, moved to our repository. */
function runDelivery(commitTimestamp: string) {
  const run = sample(
    'workflow_run',
    (p) => p.action === 'completed' && p.workflow_run.conclusion === 'success',
  );
  setRepository(run, REPOSITORY);
  run.workflow_run.head_commit.timestamp = commitTimestamp;
  return { run, delivery: delivery('workflow_run', run) };
}

describe('workflow_run deliveries give a run’s records their commit time', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;
  const api = () => apiClient(server.url, TOKEN);
  const processed = (deliveryId: string) =>
    eventually(async () => {
      const [row] = await query<{ done_at: Date | null }>(
        db.url,
        'SELECT done_at FROM webhook_delivery WHERE delivery_id = $1',
        [deliveryId],
      );
      return row?.done_at ? true : undefined;
    });

  // The run's production deployment succeeded at DEPLOYED_AT; its commit was made 90 minutes before.
  const deployedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 10 * MINUTE);
  const committedAt = new Date(deployedAt.getTime() - 90 * MINUTE);
  const { run, delivery: first } = runDelivery(committedAt.toISOString().replace('.000Z', 'Z'));
  const runKey = `${run.workflow_run.id}-${run.workflow_run.run_attempt}`;
  let production: string;
  let otherCommit: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer({
      DATABASE_URL: db.url,
      GITHUB_WEBHOOK_SECRET: SECRET,
      DEPLOYLEDGER_API_KEYS: `${REPOSITORY}=${TOKEN}`,
      DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0',
    });
    const created = await api().create(runKey, {
      repository: REPOSITORY,
      environment: 'production',
      sha: run.workflow_run.head_sha,
      state: 'running',
    });
    expect(created.status).toBe(201);
    production = created.body.id;
    const success = await api().status(production, { state: 'success', at: deployedAt.toISOString() });
    expect(success.body).toMatchObject({ applied: true, commit_at: null });
    // The same run deployed another commit elsewhere: the run's head_commit says nothing about it.
    const elsewhere = await api().create(runKey, {
      repository: REPOSITORY,
      environment: 'staging',
      sha: 'b'.repeat(40),
      state: 'running',
    });
    expect(elsewhere.status).toBe(201);
    otherCommit = elsewhere.body.id;
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('sets commit_at from workflow_run.head_commit.timestamp on the run’s record of that commit', async () => {
    expect((await send(server.url, SECRET, first)).status).toBe(202);
    const record = await eventually(async () => {
      const r = (await api().get(production)).body;
      return r.commit_at ? r : undefined;
    });
    expect(record).toMatchObject({
      state: 'success',
      commit_at: committedAt.toISOString(),
      deployed_at: deployedAt.toISOString(),
    });
    // Not a state change: nothing is added to the timeline.
    expect(record.events.map((e: { state: string }) => e.state)).toEqual(['in_progress', 'success']);
    expect((await api().get(otherCommit)).body).toMatchObject({ state: 'in_progress', commit_at: null });
  });

  it('keeps the first commit time when another delivery of the run says otherwise', async () => {
    const { delivery: second } = runDelivery('2020-01-01T00:00:00Z');
    expect((await send(server.url, SECRET, second)).status).toBe(202);
    await processed(second.id);
    expect((await api().get(production)).body.commit_at).toBe(committedAt.toISOString());
  });

  it('reports the lead time deployed_at − commit_at in GET /v1/dora for that environment', async () => {
    const window = new URLSearchParams({
      repository: REPOSITORY,
      environment: 'production',
      since: new Date(deployedAt.getTime() - 24 * 60 * MINUTE).toISOString(),
      until: new Date(deployedAt.getTime() + MINUTE).toISOString(),
    });
    const dora = await api().call('GET', `/v1/dora?${window}`);
    expect(dora.status).toBe(200);
    expect(dora.body.environments).toHaveLength(1);
    expect(dora.body.environments[0]).toMatchObject({
      environment: 'production',
      deployment_frequency: { deployments: 1 },
      change_lead_time: { median_seconds: 90 * 60, samples: 1, band: 'elite', band_year: 2024 },
    });
  });
});
