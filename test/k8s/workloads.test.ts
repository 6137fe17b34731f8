import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { watchedServerSuite } from '../helpers/k8s-suite.ts';
import { k8sEvents, watcherCaughtUp } from '../helpers/k8s-watch.ts';
import { argoRolloutSteps, daemonSetSteps, statefulSetSteps } from '../helpers/k8s-workloads.ts';

const newSha = () => randomBytes(20).toString('hex');

describe('Kubernetes watcher: StatefulSets, DaemonSets, Argo Rollouts (stand-in with the CRD, real server)', () => {
  const suite = watchedServerSuite({ argoRollouts: true });
  const { progress, readRecord, untilState } = suite;
  let count = 0;

  /** A record in progress, and an app linked to it by annotations. */
  async function startDeployment() {
    const n = ++count;
    const environment = `workload-${n}`;
    const sha = newSha();
    const key = `${n}-1`;
    const created = await suite.api.create(key, {
      repository: 'acme/shop',
      environment,
      sha,
      state: 'in_progress',
    });
    expect(created.status).toBe(201);
    const app = {
      namespace: `ns-${n}`,
      name: 'app',
      annotations: {
        'deployledger.dev/repository': 'acme/shop',
        'deployledger.dev/environment': environment,
        'deployledger.dev/key': key,
      },
    };
    return { id: created.body.id as string, sha, app };
  }

  it('watches every kind, and says so in /readyz', async () => {
    // Right after start the streams are still listing, and /readyz says degraded until they watch,
    // as a readiness probe expects; wait for that, then read what it reports.
    await watcherCaughtUp(suite.server, suite.apiserver);
    const ready = (await (await fetch(`${suite.server.url}/readyz`)).json()) as {
      kubernetes: { status: string; streams: Array<{ kind: string; status: string }> };
    };
    expect(ready.kubernetes.status).toBe('ok');
    expect(ready.kubernetes.streams.map((stream) => `${stream.kind}:${stream.status}`).sort()).toEqual([
      'DaemonSet:watching',
      'Deployment:watching',
      'Rollout:watching',
      'StatefulSet:watching',
    ]);
  });

  it('settles a partitioned StatefulSet when the pods at or above the partition run the update', async () => {
    const { id, sha, app } = await startDeployment();
    const sts = statefulSetSteps(app, { image: `ghcr.io/acme/db:${sha}`, partition: 2 });
    await progress(sts.specUpdated, sts.firstPodStarting);
    expect((await readRecord(id)).state).toBe('in_progress');
    await progress(sts.stageDone);
    const done = await untilState(id, 'success');
    expect(done.k8s).toEqual({ namespace: app.namespace, name: 'app', revision: sts.newRevision });
    expect(k8sEvents(done).map((event) => [event.detail.kind, event.detail.step, event.state])).toEqual([
      ['StatefulSet', 'spec_update_pending', 'in_progress'],
      ['StatefulSet', 'awaiting_readiness', 'in_progress'],
      ['StatefulSet', 'complete', 'success'],
    ]);
  });

  it('settles a DaemonSet matched by its image tag once every node runs an available updated pod', async () => {
    const { id, sha } = await startDeployment();
    const ds = daemonSetSteps(
      { namespace: 'kube-system', name: 'agent' },
      { image: `ghcr.io/acme/agent:${sha}` },
    );
    await progress(ds.specUpdated, ds.halfUpdated, ds.lastPodStarting);
    expect((await readRecord(id)).state).toBe('in_progress');
    await progress(ds.complete);
    const done = await untilState(id, 'success');
    expect(k8sEvents(done).at(-1)).toMatchObject({
      state: 'success',
      applied: true,
      detail: { kind: 'DaemonSet', message: 'daemon set "agent" successfully rolled out' },
    });
  });

  it('keeps a paused Argo Rollout in progress with the reason on the timeline, then settles it when healthy', async () => {
    const { id, sha, app } = await startDeployment();
    const ro = argoRolloutSteps(app, {
      image: `ghcr.io/acme/shop:${sha}`,
      startedAt: new Date('2026-11-28T10:00:00Z'),
    });
    await progress(ro.specUpdated, ro.progressing, ro.paused, ro.progressing, ro.pausedAgain);
    const paused = await readRecord(id);
    expect(paused.state).toBe('in_progress');
    const pauses = k8sEvents(paused).filter((event) => event.detail.step === 'paused');
    expect(pauses.map((event) => event.detail.message)).toEqual([
      'Paused - CanaryPauseStep',
      'Paused - CanaryPauseStep',
    ]);
    await progress(ro.complete);
    const done = await untilState(id, 'success');
    expect(done.deployed_at).toBe(new Date(ro.completedAt).toISOString());
  });

  it('records an aborted Argo Rollout as failure, dated by the controller', async () => {
    const { id, sha, app } = await startDeployment();
    const ro = argoRolloutSteps(app, {
      image: `ghcr.io/acme/shop:${sha}`,
      startedAt: new Date('2026-11-28T11:00:00Z'),
    });
    await progress(ro.specUpdated, ro.progressing, ro.aborted);
    const failed = await untilState(id, 'failure');
    expect(failed.completed_at).toBe(new Date(ro.abortedAt).toISOString());
    expect(failed.deployed_at).toBeNull();
    expect(k8sEvents(failed).at(-1)).toMatchObject({ state: 'failure', applied: true, reason: 'aborted' });
  });
});
