import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEYS, TOKEN } from '../api/api-suite.ts';
import { apiClient } from '../helpers/api.ts';
import { type App, rolloutSteps } from '../helpers/k8s-deployments.ts';
import { k8sEvents, metricValue, waitFor, watcherCaughtUp, watcherEnv } from '../helpers/k8s-watch.ts';
import { type KubeApiServer, startKubeApiServer } from '../helpers/kube-apiserver.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const newSha = () => randomBytes(20).toString('hex');

describe('Kubernetes watcher (stand-in API server, real server process, PostgreSQL)', () => {
  let apiserver: KubeApiServer;
  let server: RunningServer;
  let dropDatabase: () => Promise<void>;
  let api: ReturnType<typeof apiClient>;
  let count = 0;

  beforeAll(async () => {
    apiserver = await startKubeApiServer({ bookmarkEveryMs: 1000 });
    const db = await createTestDatabase();
    dropDatabase = db.drop;
    server = await startServer({
      DATABASE_URL: db.url,
      DEPLOYLEDGER_API_KEYS: API_KEYS,
      ...watcherEnv(apiserver),
    });
    api = apiClient(server.url, TOKEN);
  });
  afterAll(async () => {
    await server?.stop();
    await apiserver?.close();
    await dropDatabase?.();
  });

  /** A record the Action created (in_progress) and the cluster's Deployment, running the previous image. */
  async function startDeployment(options: { annotate?: boolean; k8s?: boolean } = {}) {
    const n = ++count;
    const environment = `env-${n}`;
    const sha = newSha();
    const app: App = { namespace: `team-${n}`, name: 'web' };
    const created = await api.create(`${n}00-1`, {
      repository: 'acme/shop',
      environment,
      sha,
      state: 'in_progress',
      ...(options.k8s ? { k8s: { namespace: app.namespace, name: app.name } } : {}),
    });
    expect(created.status).toBe(201);
    if (options.annotate) {
      app.annotations = {
        'deployledger.dev/repository': 'acme/shop',
        'deployledger.dev/environment': environment,
        'deployledger.dev/key': `${n}00-1`,
      };
    }
    const steps = rolloutSteps(app, {
      image: `ghcr.io/acme/shop:${sha}`,
      previousImage: `ghcr.io/acme/shop:${newSha()}`,
      revision: 4,
      startedAt: new Date(Date.UTC(2026, 10, 27, 10, n, 0)),
    });
    apiserver.apply(steps.previous);
    return { id: created.body.id as string, steps };
  }

  /** Applies each object and lets the watcher see it, as a rollout's status updates arrive. */
  async function progress(...objects: object[]) {
    for (const object of objects) {
      apiserver.apply(object);
      await watcherCaughtUp(server, apiserver);
    }
  }

  const readRecord = async (id: string) => (await api.get(id)).body;
  const untilState = (id: string, state: string) =>
    waitFor(`record ${id} to be ${state}`, async () => {
      const record = await readRecord(id);
      return record.state === state && record;
    });
  const appliedSuccesses = (record: Parameters<typeof k8sEvents>[0]) =>
    k8sEvents(record).filter((event) => event.state === 'success' && event.applied);

  it('records a rollout progressing to complete as success once, dated when the rollout completed', async () => {
    const { id, steps } = await startDeployment({ annotate: true });
    await progress(steps.specUpdated, steps.firstNewPod, steps.oldPodTerminating, steps.lastPodStarting);
    const midway = await readRecord(id);
    expect(midway.state).toBe('in_progress');
    expect(midway.deployed_at).toBeNull();
    expect(k8sEvents(midway).map((event) => event.detail.step)).toEqual([
      'spec_update_pending',
      'updating_replicas',
      'terminating_old_replicas',
      'awaiting_availability',
    ]);

    await progress(steps.complete);
    const done = await untilState(id, 'success');
    expect(done.deployed_at).toBe(new Date(steps.completedAt).toISOString());
    expect(done.completed_at).toBe(done.deployed_at);
    expect(done.k8s).toEqual({ namespace: steps.complete.metadata.namespace, name: 'web', revision: '4' });
    expect(appliedSuccesses(done)).toHaveLength(1);

    // Re-observing the same state (a relist after 410 Gone, a reconnect) adds nothing.
    const before = done.events.length;
    const lists = apiserver.requests.list;
    apiserver.expireWatches();
    await waitFor('a relist', async () => apiserver.requests.list > lists);
    apiserver.dropWatches();
    await watcherCaughtUp(server, apiserver);
    expect((await readRecord(id)).events).toHaveLength(before);
  });

  it('resumes after the watch stream is cut mid-rollout and records the completion once', async () => {
    const { id, steps } = await startDeployment();
    await progress(steps.specUpdated, steps.firstNewPod);
    const lists = apiserver.requests.list;
    const watches = apiserver.requests.watch;

    apiserver.dropWatches();
    // These happen while the watcher is reconnecting; it resumes from its resourceVersion.
    apiserver.apply(steps.oldPodTerminating);
    apiserver.apply(steps.complete);

    const done = await untilState(id, 'success');
    expect(done.deployed_at).toBe(new Date(steps.completedAt).toISOString());
    expect(appliedSuccesses(done)).toHaveLength(1);
    expect(apiserver.requests.watch).toBeGreaterThan(watches);
    expect(apiserver.requests.list).toBe(lists);
  });

  it('relists after 410 Gone and records a completion that happened while it was cut off, once', async () => {
    const { id, steps } = await startDeployment({ k8s: true });
    await progress(steps.specUpdated, steps.firstNewPod);
    const lists = apiserver.requests.list;

    apiserver.setDown(true);
    apiserver.dropWatches();
    apiserver.apply(steps.lastPodStarting);
    apiserver.apply(steps.complete);
    apiserver.expireHistory(); // the watcher's resourceVersion is now too old: 410 on resume
    await new Promise((resolve) => setTimeout(resolve, 500));
    apiserver.setDown(false);

    const done = await untilState(id, 'success');
    expect(done.deployed_at).toBe(new Date(steps.completedAt).toISOString());
    expect(appliedSuccesses(done)).toHaveLength(1);
    expect(apiserver.requests.list).toBeGreaterThan(lists);
    expect(
      await metricValue(server, 'deployledger_k8s_watch_restarts_total', { reason: 'expired' }),
    ).toBeGreaterThan(0);
  });

  it('replaces a watch that goes silent without closing', async () => {
    const { id, steps } = await startDeployment();
    await progress(steps.specUpdated, steps.firstNewPod);
    apiserver.stallWatches();
    apiserver.apply(steps.complete);
    const done = await untilState(id, 'success');
    expect(done.deployed_at).toBe(new Date(steps.completedAt).toISOString());
    expect(
      await metricValue(server, 'deployledger_k8s_watch_restarts_total', { reason: 'stalled' }),
    ).toBeGreaterThan(0);
  });

  it('records ProgressDeadlineExceeded as failure', async () => {
    const { id, steps } = await startDeployment({ annotate: true });
    await progress(steps.specUpdated, steps.firstNewPod, steps.deadlineExceeded);
    const failed = await untilState(id, 'failure');
    expect(failed.completed_at).toBe(new Date(steps.deadlineExceededAt).toISOString());
    expect(failed.deployed_at).toBeNull();
    expect(k8sEvents(failed).at(-1)).toMatchObject({
      state: 'failure',
      applied: true,
      reason: 'progress_deadline_exceeded',
    });
    expect(k8sEvents(failed).at(-1)?.detail.message).toBe('deployment "web" exceeded its progress deadline');
  });

  it('ignores a Deployment that is neither annotated nor running the sha of an active record', async () => {
    const { id } = await startDeployment();
    const finishedSha = newSha();
    const finished = await api.create('ignored-1', {
      repository: 'acme/shop',
      environment: 'ignored',
      sha: finishedSha,
      state: 'success',
    });
    const unmatched = () =>
      metricValue(server, 'deployledger_k8s_rollout_observations_total', {
        step: 'complete',
        outcome: 'unmatched',
      });
    const before = await unmatched();
    for (const [name, sha] of [
      ['stranger', newSha()],
      ['finished', finishedSha],
    ] as const) {
      const steps = rolloutSteps(
        { namespace: 'other', name },
        {
          image: `ghcr.io/acme/other:${sha}`,
          previousImage: 'ghcr.io/acme/other:v1',
          revision: 2,
          startedAt: new Date(),
        },
      );
      await progress(steps.specUpdated, steps.firstNewPod, steps.complete);
    }
    expect(await unmatched()).toBe(before + 2);
    for (const recordId of [id, finished.body.id]) expect(k8sEvents(await readRecord(recordId))).toEqual([]);
    expect((await readRecord(id)).state).toBe('in_progress');
  });

  it('matches no record when the image sha fits several and none names the object, and logs why', async () => {
    const sha = newSha();
    const ids: string[] = [];
    for (const environment of ['ambiguous-a', 'ambiguous-b']) {
      const created = await api.create(`amb-${environment}`, {
        repository: 'acme/shop',
        environment,
        sha,
        state: 'in_progress',
      });
      ids.push(created.body.id);
    }
    const shared = rolloutSteps(
      { namespace: 'shared', name: 'web' },
      {
        image: `ghcr.io/acme/shop:${sha}`,
        previousImage: 'ghcr.io/acme/shop:v1',
        revision: 2,
        startedAt: new Date(),
      },
    );
    await progress(shared.previous, shared.specUpdated, shared.complete);
    for (const id of ids) {
      const record = await readRecord(id);
      expect(record.state).toBe('in_progress');
      expect(k8sEvents(record)).toEqual([]);
    }
    const warning = server.logs.find((line) => line.includes('matches several active records'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning ?? '{}').candidate_deployment_ids.sort()).toEqual([...ids].sort());
  });

  it('records a burst of rollouts across environments at once, each with its effects once', async () => {
    const rollouts = [];
    for (let i = 0; i < 12; i++) {
      const environment = `burst-${i}`;
      const older = await api.create(`burst-old-${i}`, {
        repository: 'acme/shop',
        environment,
        sha: newSha(),
        state: 'success',
      });
      const sha = newSha();
      const key = `burst-${i}`;
      const created = await api.create(key, {
        repository: 'acme/shop',
        environment,
        sha,
        state: 'in_progress',
      });
      // Half link themselves by annotations, half by the image tag alone.
      const app: App = { namespace: 'burst', name: `app-${i}` };
      if (i % 2 === 0) {
        app.annotations = {
          'deployledger.dev/repository': 'acme/shop',
          'deployledger.dev/environment': environment,
          'deployledger.dev/key': key,
        };
      }
      const steps = rolloutSteps(app, {
        image: `ghcr.io/acme/shop:${sha}`,
        previousImage: `ghcr.io/acme/shop:${newSha()}`,
        revision: 3,
        startedAt: new Date(Date.UTC(2026, 10, 28, 9, i, 0)),
      });
      rollouts.push({ id: created.body.id as string, olderId: older.body.id as string, steps });
    }
    // Every status update of every rollout at once, as a busy cluster sends them.
    for (const { steps } of rollouts) {
      for (const object of [steps.previous, steps.specUpdated, steps.firstNewPod, steps.complete])
        apiserver.apply(object);
    }
    for (const { id, olderId, steps } of rollouts) {
      const done = await untilState(id, 'success');
      expect(done.deployed_at).toBe(new Date(steps.completedAt).toISOString());
      expect(appliedSuccesses(done)).toHaveLength(1);
      const older = await readRecord(olderId);
      expect(older.state).toBe('inactive');
      expect(
        older.events.filter((event: { reason: string }) => event.reason === 'auto_inactive'),
      ).toHaveLength(1);
    }
  });

  it('reports its health in /readyz and /metrics', async () => {
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { kubernetes: unknown };
    expect(body.kubernetes).toMatchObject({ status: 'ok', source: `KUBECONFIG ${apiserver.kubeconfigPath}` });
    expect(await metricValue(server, 'deployledger_k8s_watch_up', { scope: '*' })).toBe(1);
  });
});
