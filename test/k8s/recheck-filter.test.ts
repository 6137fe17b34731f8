import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { linkedApp, rolloutSteps } from '../helpers/k8s-deployments.ts';
import { watchedServerSuite } from '../helpers/k8s-suite.ts';
import { metricValue, watcherCaughtUp } from '../helpers/k8s-watch.ts';

const newSha = () => randomBytes(20).toString('hex');
// Its own server: the counts below are of these three objects alone.
describe('Kubernetes watcher: which unmatched objects are looked at again', () => {
  const suite = watchedServerSuite();

  it('looks again at a rollout under way that names a record, not at one long ended nor one naming nothing', async () => {
    // Watching first: what the start's list found is no change, and is not looked at again.
    await watcherCaughtUp(suite.server, suite.apiserver);
    const underWay = rolloutSteps(linkedApp(1), {
      image: `ghcr.io/acme/shop:${newSha()}`,
      previousImage: `ghcr.io/acme/shop:${newSha()}`,
      revision: 2,
      startedAt: new Date(),
    }).firstNewPod;
    // An autoscaler touching a Deployment whose rollout completed two hours ago.
    const longEnded = rolloutSteps(linkedApp(2), {
      image: `ghcr.io/acme/shop:${newSha()}`,
      previousImage: `ghcr.io/acme/shop:${newSha()}`,
      revision: 2,
      startedAt: new Date(Date.now() - 2 * 3600_000),
    }).complete;
    // No annotations and no sha in its image: no record can ever name it.
    const namesNothing = rolloutSteps(
      { namespace: 'team-3', name: 'web' },
      {
        image: 'ghcr.io/acme/shop:latest',
        previousImage: 'ghcr.io/acme/shop:stable',
        revision: 2,
        startedAt: new Date(),
      },
    ).lastPodStarting;

    await suite.progress(underWay, longEnded, namesNothing);
    // Two rechecks (every 5 s) later.
    await new Promise((resolve) => setTimeout(resolve, 11_500));
    const unmatched = (step: string) =>
      metricValue(suite.server, 'deployledger_k8s_rollout_observations_total', {
        step,
        outcome: 'unmatched',
      });
    expect(await unmatched('updating_replicas')).toBeGreaterThanOrEqual(3);
    expect(await unmatched('complete')).toBe(1);
    expect(await unmatched('awaiting_availability')).toBe(1);
  });
});
