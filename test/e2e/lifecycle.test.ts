import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, SILENT_ENVIRONMENT, startCluster } from './harness.ts';
import {
  actionStep,
  githubSide,
  type Json,
  newRun,
  readRecord,
  recordsOf,
  rolloutOf,
  until,
  workflowRunCompleted,
} from './producers.ts';
import { stats } from './stats.ts';

describe('e2e: retried, cancelled, stuck and silent deployments', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const settled = (id: string, state: string) =>
    until(`record ${id} to be ${state}`, async () => {
      const record = await readRecord(cluster, id);
      return record.state === state && record;
    });
  const expectCleanCheck = async () => {
    await cluster.drained();
    const check = await cluster.check();
    expect(check.code, check.stdout).toBe(0);
  };

  it('the job retried (attempt 2) after attempt 1 died mid-rollout: attempt 1 inactive, attempt 2 succeeds', async () => {
    stats.scenarios++;
    const first = newRun(8001, 'retried');
    const startedFirst = await actionStep(cluster, first, 'start', 0);
    expect(startedFirst.exitCode, startedFirst.log).toBe(0);
    const firstRollout = rolloutOf(first, { revision: 2 });
    cluster.kube.apply(firstRollout.previous);
    cluster.kube.apply(firstRollout.specUpdated);
    cluster.kube.apply(firstRollout.firstNewPod);
    // The runner died: no final step. The job is re-run; same run, same commit, attempt 2.
    const second = { ...first, attempt: 2 };
    const startedSecond = await actionStep(cluster, second, 'start', 1);
    expect(startedSecond.exitCode, startedSecond.log).toBe(0);
    const secondRollout = rolloutOf(second, { revision: 3 });
    for (const object of [secondRollout.specUpdated, secondRollout.firstNewPod, secondRollout.complete])
      cluster.kube.apply(object);
    const done = await settled(startedSecond.outputs['deployment-id'] as string, 'success');
    expect(done.deployed_at).toBe(new Date(secondRollout.completedAt).toISOString());
    expect((await actionStep(cluster, second, 'success', 0)).exitCode).toBe(0);
    await cluster.deliverer.deliver(workflowRunCompleted(first, 'failure'));
    await cluster.deliverer.deliver(workflowRunCompleted(second, 'success'));
    await cluster.drained();

    const old = await readRecord(cluster, startedFirst.outputs['deployment-id'] as string);
    expect(old).toMatchObject({ state: 'inactive', key: '8001-1' });
    expect(old.events.find((e: Json) => e.state === 'inactive')).toMatchObject({ reason: 'superseded' });
    expect((await recordsOf(cluster, 'retried')).map((r) => [r.key, r.state])).toEqual([
      ['8001-2', 'success'],
      ['8001-1', 'inactive'],
    ]);
    const sides = githubSide(cluster, 'retried');
    expect(sides.map((side) => side.states)).toEqual([
      ['in_progress', 'inactive'],
      ['in_progress', 'success'],
    ]);
    await expectCleanCheck();
  });

  it('cancelled mid-rollout: error with the reason, and the rollout finishing later does not revive it', async () => {
    stats.scenarios++;
    const run = newRun(8002, 'cancelled');
    const started = await actionStep(cluster, run, 'start', 1);
    const id = started.outputs['deployment-id'] as string;
    const steps = rolloutOf(run);
    for (const object of [steps.previous, steps.specUpdated, steps.firstNewPod]) cluster.kube.apply(object);
    await until('the rollout to be seen', async () => {
      const record = await readRecord(cluster, id);
      return record.events.some((e: Json) => e.source === 'k8s') && record;
    });
    const cancelled = await actionStep(cluster, run, 'cancelled', 0);
    expect(cancelled.exitCode, cancelled.log).toBe(0);
    expect(cancelled.outputs.state).toBe('error');
    await cluster.deliverer.deliver(workflowRunCompleted(run, 'cancelled'));
    cluster.kube.apply(steps.complete);
    await until('the late completion to be recorded', async () => {
      const record = await readRecord(cluster, id);
      return record.events.some((e: Json) => e.source === 'k8s' && e.state === 'success') && record;
    });
    await cluster.drained();
    const record = await readRecord(cluster, id);
    expect(record).toMatchObject({ state: 'error', description: 'The job was cancelled.' });
    expect(record.completed_at).not.toBeNull();
    expect(githubSide(cluster, 'cancelled').map((side) => side.states)).toEqual([['in_progress', 'error']]);
    await expectCleanCheck();
  });

  it('a stuck rollout (ProgressDeadlineExceeded) fails the record at the deadline time', async () => {
    stats.scenarios++;
    const run = newRun(8003, 'stuck');
    const started = await actionStep(cluster, run, 'start', 0);
    const id = started.outputs['deployment-id'] as string;
    const steps = rolloutOf(run, { startedAt: new Date(Date.now() - 700_000) });
    for (const object of [steps.previous, steps.specUpdated, steps.firstNewPod, steps.deadlineExceeded])
      cluster.kube.apply(object);
    const failed = await settled(id, 'failure');
    expect(failed.completed_at).toBe(new Date(steps.deadlineExceededAt).toISOString());
    expect(failed.deployed_at).toBeNull();
    // The deploy step failed, so the job reports failure, and the run completes as failed.
    expect((await actionStep(cluster, run, 'failure', 1)).exitCode).toBe(0);
    await cluster.deliverer.deliver(workflowRunCompleted(run, 'failure'));
    await cluster.drained();
    expect((await readRecord(cluster, id)).state).toBe('failure');
    expect(githubSide(cluster, 'stuck').map((side) => side.states)).toEqual([['in_progress', 'failure']]);
    await expectCleanCheck();
  });

  it('nothing at all after the start: the sweeper ends it (error, timed_out)', async () => {
    stats.scenarios++;
    const run = newRun(8004, SILENT_ENVIRONMENT);
    const started = await actionStep(cluster, run, 'start', 1);
    const id = started.outputs['deployment-id'] as string;
    const ended = await settled(id, 'error');
    const sweeps = ended.events.filter((e: Json) => e.source === 'sweeper');
    expect(sweeps).toHaveLength(1);
    expect(sweeps[0]).toMatchObject({ state: 'error', applied: true, reason: 'timed_out' });
    await until(
      'GitHub to hear of it',
      async () => githubSide(cluster, SILENT_ENVIRONMENT)[0]?.states.length === 2,
    );
    expect(githubSide(cluster, SILENT_ENVIRONMENT).map((side) => side.states)).toEqual([
      ['in_progress', 'error'],
    ]);
    await expectCleanCheck();
  });
});
