import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../helpers/k8s-watch.ts';
import { query } from '../helpers/postgres.ts';
import { type Cluster, startCluster } from './harness.ts';
import {
  actionCall,
  actionStep,
  githubSide,
  type HttpCounts,
  newRun,
  progressingSteps,
  readRecord,
  recordsOf,
  rolloutOf,
  until,
  workflowRunCompleted,
} from './producers.ts';
import { stats } from './stats.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('e2e: faults (GitHub down, PostgreSQL connections killed, a replica SIGKILLed, the watch cut)', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const settled = (id: string, state: string, timeoutMs = 30_000) =>
    until(
      `record ${id} to be ${state}`,
      async () => {
        const record = await readRecord(cluster, id);
        return record.state === state && record;
      },
      timeoutMs,
    );
  const expectCleanCheck = async () => {
    await cluster.drained(90_000);
    const check = await cluster.check();
    expect(check.code, check.stdout).toBe(0);
  };

  it("GitHub's API down for a while: the outbox catches up, nothing lost, no second GitHub deployment", async () => {
    stats.scenarios++;
    stats.faults++;
    const run = newRun(9101, 'github-down');
    cluster.githubProxy.setDown(true);
    const started = await actionStep(cluster, run, 'start', 0);
    expect(started.exitCode, started.log).toBe(0);
    const steps = rolloutOf(run);
    for (const object of [...progressingSteps(steps), steps.complete]) cluster.kube.apply(object);
    const id = started.outputs['deployment-id'] as string;
    await settled(id, 'success');
    expect((await actionStep(cluster, run, 'success', 1)).exitCode).toBe(0);
    await sleep(3_000);
    expect(cluster.githubProxy.refused).toBeGreaterThan(0);
    expect(githubSide(cluster, run.environment)).toEqual([]);

    cluster.githubProxy.setDown(false);
    await until(
      'the outbox to catch up',
      async () => githubSide(cluster, run.environment)[0]?.states.length === 2,
      60_000,
    );
    await expectCleanCheck();
    const sides = githubSide(cluster, run.environment);
    expect(sides).toHaveLength(1);
    expect(sides[0]!.states).toEqual(['in_progress', 'success']);
    expect((await readRecord(cluster, id)).github_deployment_id).toBe(sides[0]!.deployment.id);
  });

  it('PostgreSQL connections killed mid-request: deliveries get 5xx and are taken on redelivery, the Action retries, nothing lost', async () => {
    stats.scenarios++;
    const runs = Array.from({ length: 8 }, (_, i) => newRun(9200 + i, `pg-kill-${i}`));
    const counts: HttpCounts = { requests: 0, failed: 0, retries: 0 };
    const target = (i: number) => () => cluster.replicas[i % 2]!.url;
    for (const [i, run] of runs.entries()) {
      expect((await actionCall(target(i), run, 'start', counts)).status).toBe(201);
    }
    const failedBefore = cluster.deliverer.counts.failed;

    let killing = true;
    const killer = (async () => {
      while (killing) {
        const killed = await query<{ terminated: boolean }>(
          cluster.db.url,
          `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        stats.faults += killed.filter((row) => row.terminated).length;
        await sleep(25);
      }
    })();
    // Half the runs end by GitHub (the run failed), half by the real Action (success), all at once.
    const ending = runs.map((run, i) =>
      i % 2 === 0
        ? cluster.deliverer.deliver(workflowRunCompleted(run, 'failure'))
        : actionStep(cluster, run, 'success', i % 2).then((step) => {
            expect(step.exitCode, step.log).toBe(0);
          }),
    );
    // Keep deliveries flowing while connections die, so some land mid-request.
    const noise = Array.from({ length: 30 }, (_, n) =>
      sleep(n * 60).then(() => cluster.deliverer.deliver(workflowRunCompleted(runs[0]!, 'failure'))),
    );
    await sleep(2_500);
    killing = false;
    await killer;
    await Promise.all([...ending, ...noise]);
    expect(cluster.crashes()).toEqual([]);

    expect(cluster.deliverer.counts.failed - failedBefore).toBeGreaterThan(0);
    for (const [i, run] of runs.entries()) {
      // A delivery whose processing lost its connection waits out its 60 s lease before a retry.
      const [record] = await until(
        `${run.environment} to end`,
        async () => {
          const records = await recordsOf(cluster, run.environment);
          return records[0]?.state !== 'in_progress' && records;
        },
        90_000,
      );
      expect(record!.state, run.environment).toBe(i % 2 === 0 ? 'failure' : 'success');
      expect(await recordsOf(cluster, run.environment)).toHaveLength(1);
    }
    await expectCleanCheck();
    for (const run of runs) expect(githubSide(cluster, run.environment)).toHaveLength(1);
  });

  it('a replica SIGKILLed mid-rollout: the other one finishes it', async () => {
    stats.scenarios++;
    const run = newRun(9301, 'replica-killed');
    const started = await actionStep(cluster, run, 'start', 1);
    const id = started.outputs['deployment-id'] as string;
    const steps = rolloutOf(run);
    for (const object of [steps.previous, steps.specUpdated, steps.firstNewPod]) cluster.kube.apply(object);
    await cluster.killReplica(1);
    cluster.kube.apply(steps.oldPodTerminating);
    cluster.kube.apply(steps.complete);
    const done = await settled(id, 'success');
    expect(done.deployed_at).toBe(new Date(steps.completedAt).toISOString());
    expect((await actionStep(cluster, run, 'success', 0)).exitCode).toBe(0);
    await cluster.restartReplica(1);
    await expectCleanCheck();
    expect(githubSide(cluster, run.environment).map((side) => side.states)).toEqual([
      ['in_progress', 'success'],
    ]);
  });

  it('the watch stream cut, then 410 Gone: the watchers resume and relist, and the rollout is recorded once', async () => {
    stats.scenarios++;
    const run = newRun(9401, 'watch-cut');
    const started = await actionStep(cluster, run, 'start', 0);
    const id = started.outputs['deployment-id'] as string;
    const steps = rolloutOf(run);
    cluster.kube.apply(steps.previous);
    cluster.kube.apply(steps.specUpdated);
    stats.faults++;
    cluster.kube.dropWatches();
    cluster.kube.apply(steps.firstNewPod);
    cluster.kube.apply(steps.lastPodStarting);
    await sleep(1_000);
    stats.faults++;
    cluster.kube.expireHistory();
    cluster.kube.expireWatches();
    cluster.kube.apply(steps.complete);
    const done = await settled(id, 'success');
    expect(done.deployed_at).toBe(new Date(steps.completedAt).toISOString());
    const expired = await Promise.all(
      cluster.replicas.map((replica) =>
        metricValue(replica, 'deployledger_k8s_watch_restarts_total', { reason: 'expired' }),
      ),
    );
    expect(expired.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    await expectCleanCheck();
    const record = await readRecord(cluster, id);
    expect(
      record.events.filter(
        (e: { source: string; state: string; applied: boolean }) =>
          e.source === 'k8s' && e.state === 'success' && e.applied,
      ),
    ).toHaveLength(1);
  });
});
