import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type App, linkedApp, rolloutSteps } from '../helpers/k8s-deployments.ts';
import { watchedServerSuite } from '../helpers/k8s-suite.ts';
import { k8sEvents, metricValue, waitFor, watcherCaughtUp } from '../helpers/k8s-watch.ts';

const newSha = () => randomBytes(20).toString('hex');

describe('Kubernetes watcher (stand-in API server, real server process, PostgreSQL)', () => {
  const suite = watchedServerSuite();
  const { progress, readRecord, untilState } = suite;
  let count = 0;

  /** The n-th test's rollout of a new sha (linked to its record by annotations, or by image alone). */
  function newRollout(options: { annotate?: boolean; startedAt?: (n: number) => Date } = {}) {
    const n = ++count;
    const sha = newSha();
    const app: App = options.annotate ? linkedApp(n) : { namespace: `team-${n}`, name: 'web' };
    const steps = rolloutSteps(app, {
      image: `ghcr.io/acme/shop:${sha}`,
      previousImage: `ghcr.io/acme/shop:${newSha()}`,
      revision: 4,
      startedAt: options.startedAt?.(n) ?? new Date(Date.UTC(2026, 10, 27, 10, n, 0)),
    });
    const record = (k8s?: boolean) =>
      suite.api.create(`${n}00-1`, {
        repository: 'acme/shop',
        environment: `env-${n}`,
        sha,
        state: 'in_progress',
        ...(k8s ? { k8s: { namespace: app.namespace, name: app.name } } : {}),
      });
    return { app, steps, record };
  }

  /** A record the Action created (in_progress) and the cluster's Deployment, running the previous image. */
  async function startDeployment(options: { annotate?: boolean; k8s?: boolean } = {}) {
    const { steps, record } = newRollout(options);
    const created = await record(options.k8s);
    expect(created.status).toBe(201);
    // Seen before the test goes on: its observation (unmatched) must not land in a later count.
    await progress(steps.previous);
    return { id: created.body.id as string, steps };
  }

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
    const lists = suite.apiserver.requests.list;
    suite.apiserver.expireWatches();
    await waitFor('a relist', async () => suite.apiserver.requests.list > lists);
    suite.apiserver.dropWatches();
    await watcherCaughtUp(suite.server, suite.apiserver);
    expect((await readRecord(id)).events).toHaveLength(before);
  });

  it('settles a record created after its rollout finished within seconds, not at the next relist', async () => {
    const { steps, record } = newRollout({ annotate: true, startedAt: () => new Date() });
    // The rollout is applied and finishes before the pipeline records its deployment.
    await progress(steps.previous, steps.specUpdated, steps.complete);
    const created = await record();
    expect(created.status).toBe(201);
    const done = await untilState(created.body.id as string, 'success');
    expect(done.deployed_at).toBe(new Date(steps.completedAt).toISOString());
  });

  it('resumes after the watch stream is cut mid-rollout and records the completion once', async () => {
    const { id, steps } = await startDeployment();
    await progress(steps.specUpdated, steps.firstNewPod);
    const lists = suite.apiserver.requests.list;
    const watches = suite.apiserver.requests.watch;

    suite.apiserver.dropWatches();
    // These happen while the watcher is reconnecting; it resumes from its resourceVersion.
    suite.apiserver.apply(steps.oldPodTerminating);
    suite.apiserver.apply(steps.complete);

    const done = await untilState(id, 'success');
    expect(done.deployed_at).toBe(new Date(steps.completedAt).toISOString());
    expect(appliedSuccesses(done)).toHaveLength(1);
    expect(suite.apiserver.requests.watch).toBeGreaterThan(watches);
    expect(suite.apiserver.requests.list).toBe(lists);
  });

  it('relists after 410 Gone and records a completion that happened while it was cut off, once', async () => {
    const { id, steps } = await startDeployment({ k8s: true });
    await progress(steps.specUpdated, steps.firstNewPod);
    const lists = suite.apiserver.requests.list;

    suite.apiserver.setDown(true);
    suite.apiserver.dropWatches();
    suite.apiserver.apply(steps.lastPodStarting);
    suite.apiserver.apply(steps.complete);
    suite.apiserver.expireHistory(); // the watcher's resourceVersion is now too old: 410 on resume
    await new Promise((resolve) => setTimeout(resolve, 500));
    suite.apiserver.setDown(false);

    const done = await untilState(id, 'success');
    expect(done.deployed_at).toBe(new Date(steps.completedAt).toISOString());
    expect(appliedSuccesses(done)).toHaveLength(1);
    expect(suite.apiserver.requests.list).toBeGreaterThan(lists);
    expect(
      await metricValue(suite.server, 'deployledger_k8s_watch_restarts_total', { reason: 'expired' }),
    ).toBeGreaterThan(0);
  });

  it('replaces a watch that goes silent without closing', async () => {
    const { id, steps } = await startDeployment();
    await progress(steps.specUpdated, steps.firstNewPod);
    suite.apiserver.stallWatches();
    suite.apiserver.apply(steps.complete);
    const done = await untilState(id, 'success');
    expect(done.deployed_at).toBe(new Date(steps.completedAt).toISOString());
    expect(
      await metricValue(suite.server, 'deployledger_k8s_watch_restarts_total', { reason: 'stalled' }),
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
    const finished = await suite.api.create('ignored-1', {
      repository: 'acme/shop',
      environment: 'ignored',
      sha: finishedSha,
      state: 'success',
    });
    const unmatched = () =>
      metricValue(suite.server, 'deployledger_k8s_rollout_observations_total', {
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
          // Ended long ago: not looked at again every 5 s (recheck-filter.test.ts), so each counts once.
          startedAt: new Date(Date.now() - 2 * 3600_000),
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
      const created = await suite.api.create(`amb-${environment}`, {
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
    // The watcher reports a batch after it has read it: the warning says the batch was decided.
    const warning = await waitFor('the ambiguity warning', async () =>
      suite.server.logs.find((line) => line.includes('matches several active records')),
    );
    expect(JSON.parse(warning).candidate_deployment_ids.sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const record = await readRecord(id);
      expect(record.state).toBe('in_progress');
      expect(k8sEvents(record)).toEqual([]);
    }
  });

  it('records a burst of rollouts across environments at once, each with its effects once', async () => {
    const rollouts = [];
    for (let i = 0; i < 12; i++) {
      const environment = `burst-${i}`;
      const older = await suite.api.create(`burst-old-${i}`, {
        repository: 'acme/shop',
        environment,
        sha: newSha(),
        state: 'success',
      });
      const sha = newSha();
      const key = `burst-${i}`;
      const created = await suite.api.create(key, {
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
        suite.apiserver.apply(object);
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
    const ready = await fetch(`${suite.server.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { kubernetes: { streams: Array<{ kind: string; status: string }> } };
    expect(body.kubernetes).toMatchObject({
      status: 'ok',
      source: `KUBECONFIG ${suite.apiserver.kubeconfigPath}`,
    });
    // This cluster has no Argo Rollouts CRD: its kind is absent, which is no fault.
    expect(body.kubernetes.streams.find((stream) => stream.kind === 'Rollout')?.status).toBe('absent');
    expect(
      await metricValue(suite.server, 'deployledger_k8s_watch_up', { kind: 'Deployment', scope: '*' }),
    ).toBe(1);
  });
});
