import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delivery, sample, setRepository } from '../helpers/deliveries.ts';
import { watcherCaughtUp } from '../helpers/k8s-watch.ts';
import { type Cluster, REPOSITORY, startCluster } from './harness.ts';
import {
  actionStep,
  type Json,
  newRun,
  progressingSteps,
  type Run,
  readRecord,
  recordsOf,
  rolloutOf,
  until,
} from './producers.ts';
import { stats } from './stats.ts';

/**
 * The second writer of the incident: an old step of the same workflow run that creates its own
 * GitHub deployment of the commit and marks it `success` at once (GitHub's sample deliveries).
 */
function secondWriter(run: Run, githubId: number, at: Date) {
  const deployment = sample('deployment', (p) => Boolean(p.workflow_run));
  Object.assign(deployment.deployment, {
    id: githubId,
    sha: run.sha,
    ref: 'main',
    environment: run.environment,
    payload: {},
    created_at: at.toISOString(),
    updated_at: at.toISOString(),
  });
  Object.assign(deployment.workflow_run, { id: run.runId, run_attempt: run.attempt, head_sha: run.sha });
  setRepository(deployment, REPOSITORY);
  const status = sample('deployment_status', (p) => p.deployment_status.state === 'success');
  status.deployment = structuredClone(deployment.deployment);
  status.workflow_run = structuredClone(deployment.workflow_run);
  Object.assign(status.deployment_status, {
    id: githubId + 1,
    state: 'success',
    environment: run.environment,
    created_at: at.toISOString(),
    updated_at: at.toISOString(),
  });
  setRepository(status, REPOSITORY);
  return [delivery('deployment', deployment), delivery('deployment_status', status)];
}

describe('e2e: the incident replayed (two writers in one second, the watcher late)', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    // Nobody watches the cluster at first.
    cluster = await startCluster({ watch: false });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  async function replay(run: Run, order: 'pipeline first' | 'second writer first') {
    stats.scenarios++;
    const steps = rolloutOf(run);
    for (const object of [...progressingSteps(steps), steps.complete]) cluster.kube.apply(object);
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const [deployment, status] = secondWriter(run, 880_000 + run.runId, at);
    const writeSecond = async () => {
      await cluster.deliverer.deliver(deployment!);
      await cluster.deliverer.deliver(status!);
    };
    let started: Awaited<ReturnType<typeof actionStep>>;
    if (order === 'pipeline first') {
      started = await actionStep(cluster, run, 'start', 0);
      await writeSecond();
    } else {
      await writeSecond();
      await cluster.drained();
      started = await actionStep(cluster, run, 'start', 0);
    }
    expect(started.exitCode, started.log).toBe(0);
    return { id: started.outputs['deployment-id'] as string, steps };
  }

  async function lateWatcherSettles(
    cases: Array<[Run, { id: string; steps: ReturnType<typeof rolloutOf> }]>,
  ) {
    // The watcher starts late, after the rollouts finished: it settles them from its first list.
    const late = await cluster.addReplica(true);
    await watcherCaughtUp(cluster.replicas[late]!, cluster.kube);
    for (const [run, { id, steps }] of cases) {
      const record = await until(`${run.environment} to carry the rollout's time`, async () => {
        const read = await readRecord(cluster, id);
        return read.deployed_at === new Date(steps.completedAt).toISOString() && read;
      });
      expect(record.state).toBe('success');
      expect(await recordsOf(cluster, run.environment)).toHaveLength(1);
      expect(record.events.filter((e: Json) => e.applied && e.state === 'success')).toHaveLength(1);
    }
    await cluster.drained();
    const check = await cluster.check();
    expect(check.code, check.stdout).toBe(0);
  }

  it('the pipeline writes running, a second writer success in the same second, the watcher starts late: one success record with deployed_at', async () => {
    const run = newRun(9001, 'incident-a');
    await lateWatcherSettles([[run, await replay(run, 'pipeline first')]]);
  });

  // The delivery opens the record under the run's key first; the Action's start then takes it over.
  it("the same, with the second writer's deliveries processed before the Action starts", async () => {
    const run = newRun(9002, 'incident-b');
    await lateWatcherSettles([[run, await replay(run, 'second writer first')]]);
  });
});
