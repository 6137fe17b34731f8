import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { linkedApp, rolloutSteps } from '../helpers/k8s-deployments.ts';
import { watchedServerSuite } from '../helpers/k8s-suite.ts';
import { waitFor, watcherCaughtUp } from '../helpers/k8s-watch.ts';

const newSha = () => randomBytes(20).toString('hex');

// Its own server and API server: a cluster of more than two pages of Deployments.
describe('Kubernetes watcher: lists of a large cluster (stand-in API server, real server, PostgreSQL)', () => {
  const suite = watchedServerSuite();
  let count = 0;

  /** A record the Action created, and its annotated Deployment (sorted after the bulk), completed. */
  async function recordAndItsRollout() {
    const n = ++count;
    const sha = newSha();
    const created = await suite.api.create(`${n}00-1`, {
      repository: 'acme/shop',
      environment: `env-${n}`,
      sha,
      state: 'in_progress',
    });
    expect(created.status).toBe(201);
    const steps = rolloutSteps(linkedApp(n), {
      image: `ghcr.io/acme/shop:${sha}`,
      previousImage: `ghcr.io/acme/shop:${newSha()}`,
      revision: 2,
      startedAt: new Date(),
    });
    await suite.progress(steps.specUpdated);
    return { id: created.body.id as string, steps };
  }

  /** The completion reaches the API server but no open watch: only a relist can find it. */
  function completeUnwatched(complete: object) {
    const release = suite.apiserver.hold();
    suite.apiserver.apply(complete);
    suite.apiserver.expireWatches();
    return release;
  }

  const deploymentLists = () => suite.apiserver.lists.filter((list) => list.kind === 'Deployment');

  it('reads a cluster of 1 201 Deployments in pages of 500, and settles a record whose workload is on the last', async () => {
    for (let i = 0; i < 1200; i++) {
      const app = { namespace: 'bulk', name: `app-${String(i).padStart(4, '0')}` };
      const { complete } = rolloutSteps(app, {
        image: 'ghcr.io/acme/other:stable',
        previousImage: 'ghcr.io/acme/other:old',
        revision: 2,
        startedAt: new Date(Date.now() - 3600_000),
      });
      suite.apiserver.apply(complete);
    }
    await watcherCaughtUp(suite.server, suite.apiserver);
    const { id, steps } = await recordAndItsRollout();
    const before = deploymentLists().length;

    const release = completeUnwatched(steps.complete);
    const done = await suite.untilState(id, 'success');
    release();
    expect(done.deployed_at).toBe(new Date(steps.completedAt).toISOString());
    expect(deploymentLists().slice(before)).toEqual([
      { kind: 'Deployment', limit: '500', continued: false },
      { kind: 'Deployment', limit: '500', continued: true },
      { kind: 'Deployment', limit: '500', continued: true },
    ]);
  });

  it('a continue token that expired mid-list (etcd compacted) restarts the list in one request', async () => {
    const { id, steps } = await recordAndItsRollout();
    const before = deploymentLists().length;
    suite.apiserver.compactAfterNextPage();

    const release = completeUnwatched(steps.complete);
    await suite.untilState(id, 'success');
    release();
    expect(deploymentLists().slice(before)).toEqual([
      { kind: 'Deployment', limit: '500', continued: false },
      { kind: 'Deployment', limit: '500', continued: true }, // 410 Expired
      { kind: 'Deployment', limit: null, continued: false },
    ]);
  });

  it('abandons a list the API server never answers (its connection closed) after the idle timeout, and lists again', async () => {
    const { id, steps } = await recordAndItsRollout();
    suite.apiserver.stallLists(true);
    const release = completeUnwatched(steps.complete);
    // The watcher's idle timeout is 4 s here (120 s by default).
    await waitFor(
      'a stalled list to be given up',
      async () => suite.apiserver.requests.abandonedLists > 0,
      15_000,
    );
    suite.apiserver.stallLists(false);
    await suite.untilState(id, 'success');
    release();
  });
});
