import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from './harness.ts';
import {
  actionStep,
  environmentUrl,
  githubSide,
  type Json,
  keyOf,
  newRun,
  progressingSteps,
  readRecord,
  recordsOf,
  rolloutOf,
  until,
  workflowRunCompleted,
} from './producers.ts';
import { stats } from './stats.ts';

describe('e2e: the happy path through every producer (two replicas, PostgreSQL, GitHub, Kubernetes)', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('Action start → one GitHub deployment → echo ignored → rollout → success at the rollout time → Action success → workflow_run: one record', async () => {
    stats.scenarios++;
    const run = newRun(7001, 'production');
    const started = await actionStep(cluster, run, 'start', 0);
    expect(started.exitCode, started.log).toBe(0);
    expect(started.outputs).toMatchObject({ state: 'in_progress', replayed: 'false' });
    const id = started.outputs['deployment-id'] as string;

    // The outbox creates one GitHub deployment and posts in_progress; GitHub echoes both back.
    await until('the GitHub deployment and its in_progress status', async () => {
      const [side] = githubSide(cluster, run.environment);
      return side?.states.length === 1;
    });
    const echoed = await until('both echoes recorded', async () => {
      const record = await readRecord(cluster, id);
      return record.events.filter((e: Json) => e.source === 'webhook').length === 2 && record;
    });
    expect(echoed.state).toBe('in_progress');
    expect(echoed.events.filter((e: Json) => e.source === 'webhook').map((e: Json) => e.applied)).toEqual([
      false,
      false,
    ]);

    // The cluster rolls it out; replica 1's or replica 0's watcher reports it.
    const steps = rolloutOf(run);
    for (const object of progressingSteps(steps)) cluster.kube.apply(object);
    cluster.kube.apply(steps.complete);
    const deployed = await until('the rollout to complete the record', async () => {
      const record = await readRecord(cluster, id);
      return record.state === 'success' && record;
    });
    expect(deployed.deployed_at).toBe(new Date(steps.completedAt).toISOString());

    const finished = await actionStep(cluster, run, 'success', 1);
    expect(finished.exitCode, finished.log).toBe(0);
    expect(finished.outputs).toMatchObject({ 'deployment-id': id, state: 'success' });
    await cluster.deliverer.deliver(workflowRunCompleted(run, 'success'));

    await until('GitHub to hold the success status and its echo to be recorded', async () => {
      const [side] = githubSide(cluster, run.environment);
      const record = await readRecord(cluster, id);
      return (
        side?.states.length === 2 &&
        record.events.filter((e: Json) => e.source === 'webhook').length === 3 &&
        record
      );
    });
    await cluster.echo.idle();

    const records = await recordsOf(cluster, run.environment);
    expect(records).toHaveLength(1);
    const record = await readRecord(cluster, id);
    expect(record).toMatchObject({
      key: keyOf(run),
      sha: run.sha,
      state: 'success',
      run_id: run.runId,
      run_attempt: 1,
      environment_url: environmentUrl(run),
      deployed_at: new Date(steps.completedAt).toISOString(),
      k8s: { namespace: run.namespace, name: run.name, revision: '2' },
    });
    const sides = githubSide(cluster, run.environment);
    expect(sides).toHaveLength(1);
    expect(sides[0]!.deployment.payload).toEqual({ deployledger: { id } });
    expect(record.github_deployment_id).toBe(sides[0]!.deployment.id);
    expect(sides[0]!.states).toEqual(['in_progress', 'success']);
    // What each producer said, and that only the first word of each state was applied.
    const applied = record.events
      .filter((e: Json) => e.applied && e.state)
      .map((e: Json) => [e.source, e.state]);
    expect(applied[0]).toEqual(['action', 'in_progress']);
    expect(applied.at(-1)).toEqual(['k8s', 'success']);
    const webhook = record.events.filter((e: Json) => e.source === 'webhook');
    expect(webhook.every((e: Json) => !e.applied)).toBe(true);
    const action = record.events.filter((e: Json) => e.source === 'action');
    expect(action.map((e: Json) => [e.state, e.applied])).toEqual([
      ['in_progress', true],
      ['success', false],
    ]);

    const check = await cluster.check();
    expect(check.code, check.stdout).toBe(0);
  });
});
