import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../helpers/api.ts';
import { runCli } from '../helpers/cli.ts';
import { eventually } from '../helpers/deliveries.ts';
import { githubAppCredentials, startGithubAppApi } from '../helpers/github-app-api.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const TOKEN = 'test-key-reconcile-0123456789';
const REPOSITORY = 'acme/reconciled';
const sha = () => randomBytes(20).toString('hex');
const githubTime = (agoMs: number) => new Date(Date.now() - agoMs).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The event that ended the record (later ones are the sync's notes, source `github`). */
const ending = (record: { events: Event[] }) =>
  record.events.filter((event) => event.source !== 'github').at(-1);

type Event = {
  source: string;
  state: string;
  applied: boolean;
  reason: string | null;
  detail: { asked?: unknown[]; reconcile?: { final?: boolean; asked?: unknown[] } };
};

/**
 * The deliveries are gone (older than GitHub's log keeps, or never sent): the only one who can
 * tell how these deployments ended is GitHub's API, asked before the sweeper times them out.
 */
describe('the sweeper asks GitHub before timing a record out (GitHub App, PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let github: Awaited<ReturnType<typeof startGithubAppApi>>;
  let server: RunningServer;
  const api = () => apiClient(server.url, TOKEN);

  beforeAll(async () => {
    db = await createTestDatabase();
    github = await startGithubAppApi();
    server = await startServer({
      DATABASE_URL: db.url,
      DEPLOYLEDGER_API_KEYS: `${REPOSITORY}=${TOKEN}`,
      GITHUB_API_URL: github.url,
      ...githubAppCredentials(),
      DEPLOYLEDGER_GITHUB_RETRY_BASE_MS: '50',
      DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0.2',
      DEPLOYLEDGER_STUCK_AFTER_SECONDS_BY_ENVIRONMENT: 'run-ok=2,run-failed=2,run-going=2,status-ok=4',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    await db?.drop();
  });

  const create = async (key: string, environment: string) => {
    const { status, body } = await api().create(key, {
      repository: REPOSITORY,
      environment,
      sha: sha(),
      state: 'in_progress',
    });
    expect(status).toBe(201);
    return body.id as string;
  };
  const settled = (id: string) =>
    eventually(async () => {
      const { body } = await api().get(id);
      return body.state === 'in_progress' ? undefined : body;
    }, 20_000);

  it('a run that completed successfully ends its record as success at the run’s time, not timed_out', async () => {
    const doneAt = githubTime(30_000);
    github.deployments.setRunAttempt(REPOSITORY, 9001, 1, {
      status: 'completed',
      conclusion: 'success',
      updated_at: doneAt,
    });
    const record = await settled(await create('9001-1', 'run-ok'));
    expect(record).toMatchObject({ state: 'success', deployed_at: new Date(doneAt).toISOString() });
    const last = ending(record)!;
    expect(last).toMatchObject({
      source: 'reconcile',
      state: 'success',
      applied: true,
      reason: 'workflow_run_success',
    });
    expect(last.detail.asked).toContainEqual({
      asked: `GET /repos/${REPOSITORY}/actions/runs/9001/attempts/1`,
      answer: expect.objectContaining({ status: 'completed', conclusion: 'success', updated_at: doneAt }),
    });
    expect((record.events as Event[]).some((event) => event.source === 'sweeper')).toBe(false);
  });

  it('a run that failed ends its record as failure', async () => {
    github.deployments.setRunAttempt(REPOSITORY, 9002, 1, { status: 'completed', conclusion: 'failure' });
    const record = await settled(await create('9002-1', 'run-failed'));
    expect(record.state).toBe('failure');
    expect(ending(record)).toMatchObject({
      source: 'reconcile',
      reason: 'workflow_run_failure',
    });
  });

  it('times out only when GitHub knows nothing final either, and says what it asked', async () => {
    github.deployments.setRunAttempt(REPOSITORY, 9003, 1, { status: 'in_progress' });
    const record = await settled(await create('9003-1', 'run-going'));
    expect(record.state).toBe('error');
    const last = ending(record)!;
    expect(last).toMatchObject({ source: 'sweeper', reason: 'timed_out', applied: true });
    expect(last.detail.reconcile?.final).toBe(false);
    expect(last.detail.reconcile?.asked).toContainEqual({
      asked: `GET /repos/${REPOSITORY}/actions/runs/9003/attempts/1`,
      answer: expect.objectContaining({ status: 'in_progress', conclusion: null }),
    });
  });

  it('a terminal status on the GitHub deployment ends the record as GitHub recorded it (and is not posted back)', async () => {
    const id = await create('manual-7', 'status-ok');
    // The sync creates the GitHub deployment and posts in_progress; then someone else records success.
    const deployment = await eventually(async () =>
      github.deployments.deployments.find(
        (d) => (d.payload as { deployledger?: { id?: string } })?.deployledger?.id === id,
      ),
    );
    await eventually(async () =>
      github.deployments.statuses.some((s) => s.deployment_id === deployment.id) ? true : undefined,
    );
    const doneAt = githubTime(1_000);
    github.deployments.addStatus(deployment.id as number, {
      state: 'success',
      environment_url: 'https://status.example.com',
      created_at: doneAt,
    });
    const record = await settled(id);
    expect(record).toMatchObject({
      state: 'success',
      deployed_at: new Date(doneAt).toISOString(),
      environment_url: 'https://status.example.com',
    });
    expect(ending(record)).toMatchObject({
      source: 'reconcile',
      reason: 'github_status_success',
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const posted = github.deployments.statuses
      .filter((s) => s.deployment_id === deployment.id)
      .map((s) => s.state);
    expect(posted).toEqual(['in_progress', 'success']);

    const check = await runCli(['check'], { DATABASE_URL: db.url });
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });
});
