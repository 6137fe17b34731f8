import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_KEYS, TOKEN } from '../api/api-suite.ts';
import { apiClient } from '../helpers/api.ts';
import { rolloutSteps } from '../helpers/k8s-deployments.ts';
import { k8sEvents, metricValue, waitFor, watcherCaughtUp, watcherEnv } from '../helpers/k8s-watch.ts';
import { type KubeApiServer, startKubeApiServer } from '../helpers/kube-apiserver.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const newSha = () => randomBytes(20).toString('hex');

describe('Kubernetes watcher across restarts and replicas (real server processes, PostgreSQL)', () => {
  let apiserver: KubeApiServer;
  let databaseUrl: string;
  let dropDatabase: () => Promise<void>;
  const running: RunningServer[] = [];

  beforeAll(async () => {
    apiserver = await startKubeApiServer({ bookmarkEveryMs: 1000 });
    const db = await createTestDatabase();
    databaseUrl = db.url;
    dropDatabase = db.drop;
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.stop()));
  });
  afterAll(async () => {
    await apiserver?.close();
    await dropDatabase?.();
  });

  async function start() {
    const server = await startServer({
      DATABASE_URL: databaseUrl,
      DEPLOYLEDGER_API_KEYS: API_KEYS,
      ...watcherEnv(apiserver),
    });
    running.push(server);
    return server;
  }

  function rollout(namespace: string, sha: string) {
    return rolloutSteps(
      { namespace, name: 'web' },
      {
        image: `ghcr.io/acme/shop:${sha}`,
        previousImage: `ghcr.io/acme/shop:${newSha()}`,
        revision: 7,
        startedAt: new Date('2026-11-27T12:00:00Z'),
      },
    );
  }

  it('settles on start a rollout that finished while the server was down', async () => {
    const first = await start();
    const api = apiClient(first.url, TOKEN);
    const sha = newSha();
    const { body: record } = await api.create('1000-1', {
      repository: 'acme/shop',
      environment: 'restart',
      sha,
      state: 'in_progress',
    });
    const steps = rollout('restart', sha);
    for (const object of [steps.previous, steps.specUpdated, steps.firstNewPod]) {
      apiserver.apply(object);
      await watcherCaughtUp(first, apiserver);
    }
    await first.stop();
    running.splice(running.indexOf(first), 1);

    apiserver.apply(steps.oldPodTerminating);
    apiserver.apply(steps.complete);
    const second = await start();

    const done = await waitFor('the record to be settled', async () => {
      const read = (await apiClient(second.url, TOKEN).get(record.id)).body;
      return read.state === 'success' && read;
    });
    expect(done.deployed_at).toBe(new Date(steps.completedAt).toISOString());
    expect(k8sEvents(done).filter((event) => event.state === 'success')).toHaveLength(1);
  });

  it('two servers watching one database record one set of effects', async () => {
    const [a, b] = [await start(), await start()];
    const api = apiClient(a.url, TOKEN);
    const older = await api.create('2000-1', {
      repository: 'acme/shop',
      environment: 'replicas',
      sha: newSha(),
      state: 'success',
    });
    const sha = newSha();
    const { body: record } = await api.create('2001-1', {
      repository: 'acme/shop',
      environment: 'replicas',
      sha,
      state: 'in_progress',
    });
    const steps = rollout('replicas', sha);
    for (const object of [
      steps.previous,
      steps.specUpdated,
      steps.firstNewPod,
      steps.lastPodStarting,
      steps.complete,
    ]) {
      apiserver.apply(object);
      await Promise.all([watcherCaughtUp(a, apiserver), watcherCaughtUp(b, apiserver)]);
    }

    const done = (await api.get(record.id)).body;
    expect(done.state).toBe('success');
    expect(done.deployed_at).toBe(new Date(steps.completedAt).toISOString());
    const successes = k8sEvents(done).filter((event) => event.state === 'success');
    expect(successes.filter((event) => event.applied)).toHaveLength(1);

    // The success's effect (the older success becomes inactive) happened once.
    const previous = (await api.get(older.body.id)).body;
    expect(previous.state).toBe('inactive');
    expect(
      previous.events.filter((event: { reason: string }) => event.reason === 'auto_inactive'),
    ).toHaveLength(1);

    const transitions = async (server: RunningServer) =>
      metricValue(server, 'deployledger_state_transitions_total', { from: 'in_progress', to: 'success' });
    expect((await transitions(a)) + (await transitions(b))).toBe(1);
  });
});
