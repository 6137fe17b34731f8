import { describe, expect, it } from 'vitest';
import {
  type DeploymentRecord,
  decide,
  expectedRollouts,
  githubSyncOf,
  openRecord,
  type Signal,
  splitNameList,
} from '../../server/ledger/index.ts';
import { aRecord, aRequest } from '../helpers/records.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 10, minute));

/** The watcher's signal for a workload step in a cluster. */
function step(
  cluster: string,
  name: string,
  state: 'in_progress' | 'success' | 'failure',
  minute: number,
  revision = '2',
): Signal {
  const stepName = {
    in_progress: 'updating_replicas',
    success: 'complete',
    failure: 'progress_deadline_exceeded',
  }[state];
  return {
    source: 'k8s',
    state,
    at: at(minute),
    k8s: { namespace: 'shop', name, revision },
    workload: {
      cluster,
      kind: 'Deployment',
      namespace: 'shop',
      name,
      revision,
      step: stepName,
      observation: `${cluster}/${name}:${revision}:${stepName}`,
    },
    detail: { cluster, name, step: stepName },
  };
}

function release(workloads: string[], clusters: string[] = []): DeploymentRecord {
  return aRecord({
    state: 'in_progress',
    k8s: { namespace: 'shop', name: workloads[0] as string, revision: null },
    k8sRollouts: expectedRollouts(
      workloads.map((name) => ({ namespace: 'shop', name })),
      clusters,
    ),
  });
}

const run = (record: DeploymentRecord, ...signals: Signal[]) =>
  signals.reduce((current, signal) => decide(current, signal, at(59)).record, record);

describe('a release: several workloads, or named clusters (rollouts.ts through decide)', () => {
  it('a record naming one workload takes each step as it comes, as before', () => {
    const single = release(['web']);
    const done = decide(single, step('east', 'web', 'success', 5), at(59));
    expect(done.record.state).toBe('success');
    expect(done.signal).toBeUndefined();
    expect(done.record.k8s).toEqual({ namespace: 'shop', name: 'web', revision: '2' });
    expect(done.record.k8sRollouts?.progress).toHaveLength(1);
  });

  it('succeeds when every workload completed, dated by the last', () => {
    const record = release(['web', 'worker']);
    const half = decide(record, step('east', 'web', 'success', 5), at(59));
    expect(half.record.state).toBe('in_progress');
    expect(half.signal).toMatchObject({ state: 'in_progress', detail: { workload_state: 'success' } });
    const done = run(half.record, step('east', 'worker', 'success', 9));
    expect(done.state).toBe('success');
    expect(done.deployedAt).toEqual(at(9));
    // Only the first workload's revision is the record's.
    expect(done.k8s?.name).toBe('web');
  });

  it('fails as soon as one workload fails', () => {
    const failed = run(
      release(['web', 'worker']),
      step('east', 'web', 'success', 5),
      step('east', 'worker', 'failure', 7),
    );
    expect(failed.state).toBe('failure');
    expect(failed.completedAt).toEqual(at(7));
  });

  it('a completed revision stays completed through a later scale (a waiting step of the same revision)', () => {
    const record = run(
      release(['web', 'worker']),
      step('east', 'web', 'success', 5),
      step('east', 'web', 'in_progress', 6),
    );
    expect(run(record, step('east', 'worker', 'success', 8)).state).toBe('success');
  });

  it('named clusters: success only when each finished; a cluster not named is not counted', () => {
    const record = release(['web'], ['east', 'west']);
    const east = run(record, step('east', 'web', 'success', 5), step('north', 'web', 'success', 6));
    expect(east.state).toBe('in_progress');
    expect(run(east, step('west', 'web', 'success', 8)).deployedAt).toEqual(at(8));
    expect(run(east, step('west', 'web', 'failure', 8)).state).toBe('failure');
    expect(run(record, step('north', 'web', 'failure', 5)).state).toBe('in_progress');
  });

  it('without named clusters, any cluster completing a workload counts', () => {
    const record = release(['web', 'worker']);
    const done = run(
      record,
      step('east', 'web', 'success', 5),
      step('west', 'web', 'failure', 6),
      step('west', 'worker', 'success', 7),
    );
    expect(done.state).toBe('success');
  });

  it('posts each change of per-cluster progress to GitHub while rolling out, and the summary with the end', () => {
    const record = { ...release(['web'], ['east', 'west']), description: 'v2' };
    const east = decide(record, step('east', 'web', 'success', 5), at(59));
    expect(githubSyncOf(east).map((job) => job.payload)).toEqual([
      { state: 'in_progress', description: 'east: done 1/1; west: rolling out 0/1 · v2' },
    ]);
    expect(githubSyncOf(decide(east.record, step('east', 'web', 'success', 5), at(59)))).toEqual([]);
    const done = decide(east.record, step('west', 'web', 'success', 8), at(59));
    expect(githubSyncOf(done).map((job) => job.payload)).toEqual([
      { state: 'success', description: 'east: done 1/1; west: done 1/1 · v2' },
    ]);
  });

  it('a create names the release: its workloads and clusters', () => {
    const opened = openRecord(
      {
        ...aRequest({ state: 'in_progress' }),
        k8s: { namespace: 'shop', name: 'web' },
        k8sWorkloads: [
          { namespace: 'shop', name: 'web' },
          { namespace: 'shop', name: 'worker' },
        ],
        k8sClusters: ['east'],
      },
      'id-1',
      'action',
      at(0),
    );
    expect(opened.record.k8sRollouts).toEqual({
      workloads: [
        { namespace: 'shop', name: 'web' },
        { namespace: 'shop', name: 'worker' },
      ],
      clusters: ['east'],
      progress: [],
    });
  });

  it('lists: commas and newlines separate; a comma ending a line too; an empty entry is kept to be refused', () => {
    expect(splitNameList('web, worker\ncron,\n\nqueue\n')).toEqual(['web', 'worker', 'cron', 'queue']);
    expect(splitNameList('web,,worker')).toEqual(['web', '', 'worker']);
  });
});
