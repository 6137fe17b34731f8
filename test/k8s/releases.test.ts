import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEYS, apiClient, TOKEN } from '../helpers/api.ts';
import { startGithubApi } from '../helpers/github-api.ts';
import { clustersCaughtUp, type StandInClusters, startClusters } from '../helpers/k8s-clusters.ts';
import { type App, rolloutSteps } from '../helpers/k8s-deployments.ts';
import { k8sEvents, waitFor } from '../helpers/k8s-watch.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const newSha = () => randomBytes(20).toString('hex');
const iso = (time: string) => new Date(time).toISOString();

describe('a release of several workloads in several clusters (two stand-in clusters, GitHub stand-in, real server)', () => {
  let clusters: StandInClusters;
  let github: Awaited<ReturnType<typeof startGithubApi>>;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let count = 0;

  beforeAll(async () => {
    clusters = await startClusters(['east', 'west']);
    github = await startGithubApi();
    db = await createTestDatabase();
    server = await startServer({
      DATABASE_URL: db.url,
      DEPLOYLEDGER_API_KEYS: API_KEYS,
      KUBECONFIG: clusters.kubeconfigPath,
      DEPLOYLEDGER_K8S_CONTEXTS: 'east,west',
      DEPLOYLEDGER_K8S_IDLE_TIMEOUT_MS: '4000',
      GITHUB_TOKEN: 'ghs_release_test',
      GITHUB_API_URL: github.url,
      DEPLOYLEDGER_DASHBOARD_PUBLIC: 'true',
    });
    api = apiClient(server.url, TOKEN);
  });
  afterAll(async () => {
    await server?.stop();
    await clusters?.close();
    await github?.close();
    await db?.drop();
  });

  /** A record naming `names` (and expecting `expect` clusters), and each workload's rollout steps per cluster. */
  async function startRelease(names: string[], expected?: string[]) {
    const n = ++count;
    const environment = `release-${n}`;
    const key = `${900 + n}-1`;
    const sha = newSha();
    const namespace = `team-${n}`;
    const created = await api.create(key, {
      repository: 'acme/shop',
      environment,
      sha,
      state: 'in_progress',
      k8s: { namespace, name: names.length === 1 ? names[0] : names },
      ...(expected ? { k8s_clusters: expected } : {}),
    });
    expect(created.status).toBe(201);
    const stepsOf = (name: string, cluster: string, minute: number) => {
      const app: App = {
        namespace,
        name,
        annotations: {
          'deployledger.dev/repository': 'acme/shop',
          'deployledger.dev/environment': environment,
          'deployledger.dev/key': key,
        },
      };
      return {
        cluster,
        ...rolloutSteps(app, {
          image: `ghcr.io/acme/${name}:${sha}`,
          previousImage: `ghcr.io/acme/${name}:${newSha()}`,
          revision: 2,
          startedAt: new Date(Date.UTC(2026, 11, 1, 10, minute, 0)),
        }),
      };
    };
    return { id: created.body.id as string, namespace, stepsOf };
  }

  async function progress(cluster: string, ...objects: object[]) {
    for (const object of objects) {
      clusters.byName[cluster]?.apply(object);
      await clustersCaughtUp(server, clusters);
    }
  }
  const readRecord = async (id: string) => (await api.get(id)).body;
  /** The release's summary as the latest watcher step on the timeline states it. */
  const summaryOf = async (id: string) => k8sEvents(await readRecord(id)).at(-1)?.detail.release;
  const untilState = (id: string, state: string) =>
    waitFor(`record ${id} to be ${state}`, async () => {
      const record = await readRecord(id);
      return record.state === state && record;
    });
  /** The statuses GitHub got for the record's deployment, oldest first. */
  const githubStatuses = async (id: string) => {
    const record = await waitFor('the GitHub deployment', async () => {
      const read = await readRecord(id);
      return read.github_deployment_id !== null && read;
    });
    return github.statuses
      .filter((status) => status.deployment_id === record.github_deployment_id)
      .map((status) => [status.state, status.description]);
  };

  it('watches each context as its own cluster, and a record naming one workload succeeds as it always did', async () => {
    await clustersCaughtUp(server, clusters);
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as {
      kubernetes: { status: string; clusters: Array<{ cluster: string }> };
    };
    expect(ready.kubernetes.status).toBe('ok');
    expect(ready.kubernetes.clusters.map((c) => c.cluster)).toEqual(['east', 'west']);

    const { id, stepsOf } = await startRelease(['web']);
    const web = stepsOf('web', 'east', 1);
    await progress('east', web.specUpdated, web.complete);
    const done = await untilState(id, 'success');
    expect(done.deployed_at).toBe(iso(web.completedAt));
    expect(k8sEvents(done).at(-1)).toMatchObject({
      state: 'success',
      applied: true,
      detail: { cluster: 'east', name: 'web', step: 'complete' },
    });
  });

  it('succeeds once every named workload completed, dated by the last, each step on the timeline', async () => {
    const { id, stepsOf } = await startRelease(['web', 'worker']);
    const web = stepsOf('web', 'east', 2);
    const worker = stepsOf('worker', 'east', 3);
    await progress('east', web.specUpdated, worker.specUpdated, web.complete, worker.lastPodStarting);
    expect((await readRecord(id)).state).toBe('in_progress');
    expect(await summaryOf(id)).toBe('workloads rolling out 1/2');

    await progress('east', worker.complete);
    const done = await untilState(id, 'success');
    expect(done.deployed_at).toBe(iso(worker.completedAt));
    const steps = k8sEvents(done).map((event) => [event.detail.name, event.detail.step, event.state]);
    expect(steps).toEqual([
      ['web', 'spec_update_pending', 'in_progress'],
      ['worker', 'spec_update_pending', 'in_progress'],
      ['web', 'complete', 'in_progress'],
      ['worker', 'awaiting_availability', 'in_progress'],
      ['worker', 'complete', 'success'],
    ]);
    expect(k8sEvents(done).at(-1)?.detail).toMatchObject({
      workload_state: 'success',
      release: 'workloads done 2/2',
    });
    expect(done.k8s_rollouts.progress.map((p: { name: string; state: string }) => [p.name, p.state])).toEqual(
      [
        ['web', 'success'],
        ['worker', 'success'],
      ],
    );
  });

  it('fails when one workload fails, though the other completed', async () => {
    const { id, stepsOf } = await startRelease(['web', 'worker']);
    const web = stepsOf('web', 'east', 4);
    const worker = stepsOf('worker', 'east', 5);
    await progress('east', web.specUpdated, worker.specUpdated, web.complete);
    expect((await readRecord(id)).state).toBe('in_progress');
    await progress('east', worker.deadlineExceeded);
    const failed = await untilState(id, 'failure');
    expect(failed.deployed_at).toBeNull();
    expect(failed.completed_at).toBe(iso(worker.deadlineExceededAt));
    expect(k8sEvents(failed).at(-1)?.detail.release).toBe('workloads failed 1/2');
  });

  it('expecting two clusters: success only after the last cluster, with per-cluster progress on GitHub and the dashboard', async () => {
    const { id, namespace, stepsOf } = await startRelease(['web'], ['east', 'west']);
    const east = stepsOf('web', 'east', 6);
    const west = stepsOf('web', 'west', 8);
    await progress('east', east.specUpdated, east.complete);
    await progress('west', west.specUpdated, west.lastPodStarting);
    expect((await readRecord(id)).state).toBe('in_progress');
    expect(await summaryOf(id)).toBe('east: done 1/1; west: rolling out 0/1');
    expect(
      (await readRecord(id)).k8s_rollouts.progress.map((p: Record<string, string>) => [
        p.cluster,
        p.step,
        p.state,
      ]),
    ).toEqual([
      ['east', 'complete', 'success'],
      ['west', 'awaiting_availability', 'in_progress'],
    ]);
    const page = await (await fetch(`${server.url}/dashboard/deployments/${id}`)).text();
    expect(page).toMatch(/data-cluster="east" data-state="success"/);
    expect(page).toMatch(/data-cluster="west" data-state="in_progress"/);
    expect(page).toContain(`data-workload="west/${namespace}/web" data-state="in_progress"`);
    expect(page).toContain('awaiting_availability');

    await progress('west', west.complete);
    const done = await untilState(id, 'success');
    expect(done.deployed_at).toBe(iso(west.completedAt));
    expect(k8sEvents(done).at(-1)?.detail).toMatchObject({
      cluster: 'west',
      release: 'east: done 1/1; west: done 1/1',
    });
    const statuses = await waitFor('GitHub to have the success', async () => {
      const posted = await githubStatuses(id);
      return posted.some(([state]) => state === 'success') && posted;
    });
    expect(statuses).toEqual([
      ['in_progress', 'east: rolling out 0/1; west: rolling out 0/1'],
      ['in_progress', 'east: done 1/1; west: rolling out 0/1'],
      ['success', 'east: done 1/1; west: done 1/1'],
    ]);
  });

  it('expecting two clusters: fails when one cluster fails', async () => {
    const { id, stepsOf } = await startRelease(['web', 'worker'], ['east', 'west']);
    for (const cluster of ['east', 'west']) {
      const web = stepsOf('web', cluster, 10);
      await progress(cluster, web.specUpdated, web.complete);
    }
    const eastWorker = stepsOf('worker', 'east', 11);
    const westWorker = stepsOf('worker', 'west', 12);
    await progress('east', eastWorker.specUpdated, eastWorker.complete);
    await progress('west', westWorker.specUpdated);
    expect((await readRecord(id)).state).toBe('in_progress');
    await progress('west', westWorker.deadlineExceeded);
    const failed = await untilState(id, 'failure');
    expect(k8sEvents(failed).at(-1)?.detail.release).toBe('east: done 2/2; west: failed 1/2');
    const statuses = await waitFor('GitHub to have the failure', async () => {
      const posted = await githubStatuses(id);
      return posted.some(([state]) => state === 'failure') && posted;
    });
    expect(statuses.at(-1)).toEqual(['failure', 'east: done 2/2; west: failed 1/2']);
  });
});

describe('one server per cluster (DEPLOYLEDGER_CLUSTER), one database', () => {
  let clusters: StandInClusters;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const servers: Record<string, RunningServer> = {};

  beforeAll(async () => {
    clusters = await startClusters(['east', 'west']);
    db = await createTestDatabase();
    for (const name of ['east', 'west']) {
      servers[name] = await startServer({
        DATABASE_URL: db.url,
        DEPLOYLEDGER_API_KEYS: API_KEYS,
        // Each server reads only its own cluster's kubeconfig (context `stand-in`), named by the setting.
        KUBECONFIG: clusters.byName[name]?.kubeconfigPath,
        DEPLOYLEDGER_CLUSTER: name,
        DEPLOYLEDGER_K8S_IDLE_TIMEOUT_MS: '4000',
      });
    }
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
    await clusters?.close();
    await db?.drop();
  });

  it('each server names its cluster on every step; the release waits for both', async () => {
    const east = servers.east as RunningServer;
    const api = apiClient(east.url, TOKEN);
    const sha = newSha();
    const created = await api.create('990-1', {
      repository: 'acme/shop',
      environment: 'per-server',
      sha,
      state: 'in_progress',
      k8s: { namespace: 'shop', name: 'web' },
      k8s_clusters: ['east', 'west'],
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const stepsIn = (minute: number) =>
      rolloutSteps(
        { namespace: 'shop', name: 'web' },
        {
          image: `ghcr.io/acme/web:${sha}`,
          previousImage: `ghcr.io/acme/web:${newSha()}`,
          revision: 2,
          startedAt: new Date(Date.UTC(2026, 11, 2, 10, minute, 0)),
        },
      );
    const inEast = stepsIn(1);
    const inWest = stepsIn(3);
    clusters.byName.east?.apply(inEast.complete);
    const half = await waitFor('east to be done', async () => {
      const record = (await api.get(id)).body;
      return k8sEvents(record).at(-1)?.detail.release === 'east: done 1/1; west: rolling out 0/1' && record;
    });
    expect(half.state).toBe('in_progress');
    clusters.byName.west?.apply(inWest.complete);
    const done = await waitFor('the release to succeed', async () => {
      const record = (await api.get(id)).body;
      return record.state === 'success' && record;
    });
    expect(done.deployed_at).toBe(iso(inWest.completedAt));
    expect(k8sEvents(done).map((event) => [event.detail.cluster, event.detail.step, event.state])).toEqual([
      ['east', 'complete', 'in_progress'],
      ['west', 'complete', 'success'],
    ]);
  });
});
