import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEYS, TOKEN } from '../api/api-suite.ts';
import { apiClient } from '../helpers/api.ts';
import { delivery, eventually, sample, send, setRepository } from '../helpers/deliveries.ts';
import { githubAppCredentials, startGithubAppApi } from '../helpers/github-app-api.ts';
import { type App, rolloutSteps } from '../helpers/k8s-deployments.ts';
import { watcherCaughtUp, watcherEnv } from '../helpers/k8s-watch.ts';
import { type KubeApiServer, startKubeApiServer } from '../helpers/kube-apiserver.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { protectionRequest } from '../helpers/protection-payloads.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const SECRET = 'protection-webhook-secret';
const PUBLIC_URL = 'https://deployledger.example.com';
const REPOSITORY = 'acme/shop';
const newSha = () => randomBytes(20).toString('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A freeze covering today, as an operator would write it: local dates in a time zone. */
function freezeAroundToday() {
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  return { name: 'Launch freeze', time_zone: 'Europe/Berlin', from: day(-1), until: day(2) };
}

const PROTECTION = {
  environments: {
    'prod-eu': { policy: ['wait', 'reject-after-failure'] },
    'live-eu': { policy: ['wait', 'reject-after-failure'] },
    frozen: { freeze_windows: [freezeAroundToday()] },
    short: { max_wait_seconds: 3 },
    brief: { max_wait_seconds: 3 },
  },
};

describe('Deployledger as a deployment protection rule (GitHub App, two replicas, PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let github: Awaited<ReturnType<typeof startGithubAppApi>>;
  let apiserver: KubeApiServer;
  let env: Record<string, string>;
  let replicas: RunningServer[] = [];
  let runs = 5_000;
  let installations = 900;
  const replica = (index: number): RunningServer => {
    const running = replicas[index];
    if (!running) throw new Error(`replica ${index} is not running`);
    return running;
  };
  const api = () => apiClient(replica(0).url, TOKEN);

  const startReplicas = async () => {
    replicas = await Promise.all([startServer(env), startServer(env)]);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    github = await startGithubAppApi();
    apiserver = await startKubeApiServer({ bookmarkEveryMs: 1000 });
    env = {
      DATABASE_URL: db.url,
      GITHUB_WEBHOOK_SECRET: SECRET,
      DEPLOYLEDGER_API_KEYS: API_KEYS,
      GITHUB_API_URL: github.url,
      ...githubAppCredentials(),
      DEPLOYLEDGER_GITHUB_RETRY_BASE_MS: '200',
      DEPLOYLEDGER_PROTECTION_INTERVAL_MS: '500',
      DEPLOYLEDGER_PROTECTION: JSON.stringify(PROTECTION),
      DEPLOYLEDGER_PUBLIC_URL: PUBLIC_URL,
      ...watcherEnv(apiserver),
    };
    await startReplicas();
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await apiserver?.close();
    await github?.close();
    await db?.drop();
  });

  /** A job of a new workflow run, with the deployment GitHub creates for it. */
  const newJob = () => {
    const runId = ++runs;
    return { runId, githubDeploymentId: 70_000 + runId, sha: newSha() };
  };

  /** GitHub's `deployment` delivery for the job's deployment (its sample payload, moved to this run). */
  async function jobDeploymentCreated(
    environment: string,
    job: ReturnType<typeof newJob>,
    to: RunningServer = replica(0),
  ) {
    const payload = sample('deployment', (p) => Boolean(p.workflow_run));
    Object.assign(payload.deployment, {
      id: job.githubDeploymentId,
      sha: job.sha,
      ref: 'main',
      environment,
      payload: {},
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
    });
    Object.assign(payload.workflow_run, { id: job.runId, run_attempt: 1 });
    setRepository(payload, REPOSITORY);
    expect((await send(to.url, SECRET, delivery('deployment', payload))).status).toBe(202);
  }

  /** GitHub asks the App whether a job of a new run may deploy to `environment`. */
  async function requestApproval(environment: string, to: RunningServer = replica(0), job = newJob()) {
    const { runId } = job;
    const installationId = ++installations;
    const d = delivery(
      'deployment_protection_rule',
      protectionRequest({
        apiUrl: github.url,
        repository: REPOSITORY,
        environment,
        runId,
        installationId,
        githubDeploymentId: job.githubDeploymentId,
        sha: job.sha,
      }),
    );
    expect((await send(to.url, SECRET, d)).status).toBe(202);
    return { runId, installationId, delivery: d };
  }

  const reviewOf = (runId: number) =>
    eventually(async () => {
      const reviews = github.reviewsOf(runId);
      return reviews.length > 0 ? reviews : undefined;
    }, 20_000);

  async function activeDeployment(environment: string, app?: App) {
    const key = `${++runs}-1`;
    const created = await api().create(key, {
      repository: REPOSITORY,
      environment,
      sha: newSha(),
      state: 'in_progress',
    });
    expect(created.status).toBe(201);
    if (app) {
      app.annotations = {
        'deployledger.dev/repository': REPOSITORY,
        'deployledger.dev/environment': environment,
        'deployledger.dev/key': key,
      };
    }
    return { id: created.body.id as string, key };
  }

  const timeline = async (id: string) =>
    (await api().get(id)).body.events as Array<{
      source: string;
      applied: boolean;
      reason: string;
      detail: Record<string, unknown>;
    }>;

  it('approves at once when the environment has no active deployment, with the installation token', async () => {
    const { runId, installationId } = await requestApproval('staging');
    const [review] = await reviewOf(runId);
    expect(review?.body).toEqual({
      environment_name: 'staging',
      state: 'approved',
      comment: 'Deployledger: no deployment is in progress on staging; approved.',
    });
    expect(review?.authorization).toBe(`token ghs_installation_${installationId}`);
    expect(github.tokensIssued).toContain(installationId);
    await sleep(1500);
    expect(github.reviewsOf(runId)).toHaveLength(1);
  });

  it('holds the job while a rollout is in progress and approves it once, soon after the rollout completes (Kubernetes stand-in)', async () => {
    const app: App = { namespace: 'shop-prod', name: 'web' };
    const record = await activeDeployment('production', app);
    const sha = (await api().get(record.id)).body.sha as string;
    const steps = rolloutSteps(app, {
      image: `ghcr.io/acme/shop:${sha}`,
      previousImage: `ghcr.io/acme/shop:${newSha()}`,
      revision: 7,
      startedAt: new Date(),
    });
    for (const step of [steps.previous, steps.specUpdated, steps.firstNewPod, steps.lastPodStarting]) {
      apiserver.apply(step);
    }
    for (const replica of replicas) await watcherCaughtUp(replica, apiserver);

    const { runId, delivery: d } = await requestApproval('production', replica(0));
    // GitHub redelivers to the other replica: acknowledged, not handled twice.
    expect((await send(replica(1).url, SECRET, d)).status).toBe(200);
    await eventually(async () =>
      (await timeline(record.id)).find((event) => event.reason === 'protection_held'),
    );
    await sleep(2000);
    expect(github.callbacks.filter((call) => call.runId === runId)).toEqual([]);
    expect((await api().get(record.id)).body.state).toBe('in_progress');

    apiserver.apply(steps.complete);
    const completed = Date.now();
    const [review] = await reviewOf(runId);
    const latency = Date.now() - completed;
    expect((await api().get(record.id)).body.state).toBe('success');
    expect(latency).toBeLessThan(5000);
    expect(review?.body.state).toBe('approved');
    expect(review?.body.comment).toContain(`deployment ${record.key} (${sha.slice(0, 7)})`);
    expect(review?.body.comment).toContain(`${PUBLIC_URL}/v1/deployments/${record.id}`);
    expect(review?.body.comment).toContain('(success); approved.');

    await sleep(2000);
    expect(github.reviewsOf(runId)).toHaveLength(1);
    const notes = (await timeline(record.id)).filter((event) => event.reason.startsWith('protection_'));
    expect(notes.map((event) => event.reason)).toEqual([
      'protection_held',
      'protection_approved',
      'protection_review_sent',
    ]);
    expect(notes[1]?.detail.comment).toBe(review?.body.comment);
  });

  /**
   * The real sequence when a job targets a protected environment while a rollout progresses:
   * GitHub creates the job's deployment (its `deployment` delivery supersedes the record still
   * rolling out), then asks the App about it. Answers the record, its rollout and the job.
   */
  async function jobQueuedDuringRollout(environment: string, app: App) {
    const record = await activeDeployment(environment, app);
    const sha = (await api().get(record.id)).body.sha as string;
    const steps = rolloutSteps(app, {
      image: `ghcr.io/acme/shop:${sha}`,
      previousImage: `ghcr.io/acme/shop:${newSha()}`,
      revision: 4,
      startedAt: new Date(),
    });
    for (const step of [steps.previous, steps.specUpdated, steps.firstNewPod, steps.lastPodStarting]) {
      apiserver.apply(step);
    }
    for (const replica of replicas) await watcherCaughtUp(replica, apiserver);

    const job = newJob();
    await jobDeploymentCreated(environment, job, replica(1));
    const superseded = await eventually(async () => {
      const body = (await api().get(record.id)).body;
      return body.state === 'inactive' ? body : undefined;
    });
    expect(superseded.events).toContainEqual(
      expect.objectContaining({ source: 'webhook', state: 'inactive', reason: 'superseded', applied: true }),
    );
    const own = (await api().list({ repository: REPOSITORY, environment })).body.deployments[0];
    expect(own).toMatchObject({ key: `${job.runId}-1`, state: 'pending' });

    await requestApproval(environment, replica(0), job);
    await sleep(3000);
    expect(github.callbacks.filter((call) => call.runId === job.runId)).toEqual([]);
    const held = (await timeline(record.id)).filter((event) => event.reason === 'protection_held');
    expect(held).toHaveLength(1);
    expect(held[0]?.detail).toMatchObject({
      run_id: job.runId,
      github_deployment_id: job.githubDeploymentId,
    });
    expect(held[0]?.detail.comment).toContain('the rollout is still in progress');
    return { record, sha, steps, job };
  }

  async function expectOneReview(runId: number, recordId: string, event: string) {
    await sleep(2000);
    expect(github.callbacks.filter((call) => call.runId === runId)).toHaveLength(1);
    expect((await timeline(recordId)).filter((e) => e.reason === event)).toHaveLength(1);
  }

  it("keeps holding while the previous rollout progresses although the job's own deployment superseded its record, then approves once", async () => {
    const { record, sha, steps, job } = await jobQueuedDuringRollout('live', {
      namespace: 'shop-live',
      name: 'web',
    });
    expect((await api().get(record.id)).body.state).toBe('inactive');

    apiserver.apply(steps.complete);
    const [review] = await reviewOf(job.runId);
    expect(review?.body.state).toBe('approved');
    expect(review?.body.comment).toContain(`the rollout of deployment ${record.key} (${sha.slice(0, 7)})`);
    expect(review?.body.comment).toContain(`${PUBLIC_URL}/v1/deployments/${record.id}`);
    expect(review?.body.comment).toContain('Kubernetes reported the rollout complete');
    const events = await timeline(record.id);
    expect(events.find((event) => event.source === 'k8s' && event.detail.step === 'complete')).toBeDefined();
    await expectOneReview(job.runId, record.id, 'protection_approved');
  });

  it('rejects under reject-after-failure when the superseded rollout exceeds its progress deadline', async () => {
    const { record, steps, job } = await jobQueuedDuringRollout('live-eu', {
      namespace: 'shop-eu',
      name: 'web',
    });
    apiserver.apply(steps.deadlineExceeded);
    const [review] = await reviewOf(job.runId);
    expect(review?.body.state).toBe('rejected');
    expect(review?.body.comment).toContain(`the rollout of deployment ${record.key}`);
    expect(review?.body.comment).toContain(
      'failed (Kubernetes reported the rollout failed (ProgressDeadlineExceeded))',
    );
    const events = await timeline(record.id);
    expect(
      events.find((event) => event.source === 'k8s' && event.detail.step === 'progress_deadline_exceeded'),
    ).toMatchObject({ applied: false });
    await expectOneReview(job.runId, record.id, 'protection_rejected');
  });

  it('two jobs queued one after the other during a rollout are let through in the order they came, not each after the other', async () => {
    const {
      record,
      steps,
      job: first,
    } = await jobQueuedDuringRollout('duo', { namespace: 'shop-duo', name: 'web' });
    // The second job's deployment supersedes the first job's, which this rule holds: it deployed nothing.
    const second = newJob();
    await jobDeploymentCreated('duo', second, replica(1));
    const firstRecord = await eventually(async () => {
      const records = (await api().list({ repository: REPOSITORY, environment: 'duo' })).body.deployments;
      const found = records.find((r: { key: string }) => r.key === `${first.runId}-1`);
      return found?.state === 'inactive' ? (found as { id: string; key: string }) : undefined;
    });
    await requestApproval('duo', replica(0), second);
    await sleep(2000);
    // Both wait while the rollout goes on.
    expect(github.callbacks.filter((call) => [first.runId, second.runId].includes(call.runId))).toEqual([]);

    // The rollout ends: the first job goes; the second waits for the first job's rollout.
    apiserver.apply(steps.complete);
    const [firstReview] = await reviewOf(first.runId);
    expect(firstReview?.body.state).toBe('approved');
    expect(firstReview?.body.comment).toContain(`the rollout of deployment ${record.key}`);
    await sleep(2000);
    expect(github.reviewsOf(second.runId)).toEqual([]);

    // The first job's rollout ends (its Action reports success on its superseded record): the second goes.
    expect((await api().status(firstRecord.id, { state: 'success' })).status).toBe(200);
    const [secondReview] = await reviewOf(second.runId);
    expect(secondReview?.body.state).toBe('approved');
    expect(secondReview?.body.comment).toContain(`the rollout of deployment ${firstRecord.key}`);
    expect(github.reviewsOf(first.runId)).toHaveLength(1);
  });

  it('a second job asked about before GitHub recorded its deployment waits for the rollout as well', async () => {
    const { steps, job: first } = await jobQueuedDuringRollout('trio', {
      namespace: 'shop-trio',
      name: 'web',
    });
    // The environment's active deployment is the first job's, which this rule holds: it deployed
    // nothing, but the rollout it superseded goes on.
    const second = newJob();
    await requestApproval('trio', replica(0), second);
    await sleep(2000);
    expect(github.reviewsOf(second.runId)).toEqual([]);

    apiserver.apply(steps.complete);
    const [firstReview] = await reviewOf(first.runId);
    expect(firstReview?.body.state).toBe('approved');
    await sleep(1500);
    expect(github.reviewsOf(second.runId)).toEqual([]);
  });

  it('rejects after a failed deployment under reject-after-failure, with the reason', async () => {
    const failed = await activeDeployment('prod-eu');
    expect((await api().status(failed.id, { state: 'failure' })).status).toBe(200);
    const { runId } = await requestApproval('prod-eu', replica(1));
    const [review] = await reviewOf(runId);
    expect(review?.body.state).toBe('rejected');
    expect(review?.body.comment).toContain(`the last deployment to prod-eu, deployment ${failed.key}`);
    expect(review?.body.comment).toContain(
      'ended in failure and nothing has succeeded since (policy reject-after-failure)',
    );
    const rejected = (await timeline(failed.id)).find((event) => event.reason === 'protection_rejected');
    expect(rejected?.detail).toMatchObject({ rule: 'last_deployment_failed', run_id: runId });
  });

  it('rejects a job inside a freeze window, naming the window', async () => {
    const { runId } = await requestApproval('frozen');
    const [review] = await reviewOf(runId);
    expect(review?.body.state).toBe('rejected');
    expect(review?.body.comment).toContain('frozen by the freeze window "Launch freeze"');
    expect(review?.body.comment).toContain('Europe/Berlin');
  });

  it('rejects a job held longer than the maximum wait', async () => {
    const record = await activeDeployment('short');
    const sent = Date.now();
    const { runId } = await requestApproval('short');
    const [review] = await reviewOf(runId);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(3000);
    expect(review?.body.state).toBe('rejected');
    expect(review?.body.comment).toContain('waited longer than the maximum of 3 s (max_wait_seconds)');
    expect(review?.body.comment).toContain(`deployment ${record.key}`);
    expect((await api().get(record.id)).body.state).toBe('in_progress');
  });

  it("waits for a re-run attempt's rollout, though the run's first attempt was rejected", async () => {
    const earlier = await activeDeployment('brief');
    const job = newJob();
    await requestApproval('brief', replica(0), job);
    const [rejected] = await reviewOf(job.runId);
    expect(rejected?.body.state).toBe('rejected');
    expect((await api().status(earlier.id, { state: 'success' })).status).toBe(200);
    // The run is re-run; its attempt 2 rolls out, recorded by the Action without a GitHub deployment.
    const rerun = await api().create(`${job.runId}-2`, {
      repository: REPOSITORY,
      environment: 'brief',
      sha: newSha(),
      state: 'in_progress',
      github_deployment: false,
    });
    expect(rerun.body).toMatchObject({ run_id: job.runId, github_deployment_id: null });

    // Another job waits for that rollout (here past the maximum wait), rather than going at once.
    const next = await requestApproval('brief');
    const [review] = await reviewOf(next.runId);
    expect(review?.body.state).toBe('rejected');
    expect(review?.body.comment).toContain(`deployment ${job.runId}-2`);
  });

  it('sends exactly one approval when GitHub answers 502 and then 200', async () => {
    github.failNextCallbacks(1, 502);
    const { runId } = await requestApproval('canary');
    await reviewOf(runId);
    await sleep(1500);
    expect(github.callbacks.filter((call) => call.runId === runId).map((call) => call.status)).toEqual([
      502, 204,
    ]);
    expect(github.reviewsOf(runId)).toHaveLength(1);
  });

  it('keeps holding across a restart of every replica and approves after it', async () => {
    const record = await activeDeployment('restarted');
    const { runId } = await requestApproval('restarted');
    await eventually(async () => {
      const rows = await query<{ status: string }>(
        db.url,
        'SELECT status FROM protection_request WHERE run_id = $1',
        [runId],
      );
      return rows[0]?.status === 'held' ? rows : undefined;
    });
    await Promise.all(replicas.map((replica) => replica.stop()));
    await startReplicas();
    expect(github.callbacks.filter((call) => call.runId === runId)).toEqual([]);

    expect((await api().status(record.id, { state: 'success' })).status).toBe(200);
    const [review] = await reviewOf(runId);
    expect(review?.body.state).toBe('approved');
    expect(review?.body.comment).toContain(`deployment ${record.key}`);
    await sleep(1500);
    expect(github.reviewsOf(runId)).toHaveLength(1);
  });
});
