import type { State } from './states.ts';
import type {
  DeploymentRecord,
  K8sRollouts,
  Signal,
  WorkloadName,
  WorkloadProgress,
  WorkloadStep,
} from './types.ts';

// A release: a record that names several workloads, or expects rollouts in named clusters. Its
// state is decided from every workload in every expected cluster: success when each finished,
// failure when any failed. A record naming one workload (or none) and no cluster takes each
// workload step's state as it comes, as it always did.

type Progress = WorkloadProgress['state'];

/** What a record expects from create: its named workloads and clusters (null: none named). */
export function expectedRollouts(workloads: WorkloadName[], clusters: string[]): K8sRollouts | null {
  if (workloads.length === 0 && clusters.length === 0) return null;
  return {
    workloads: workloads.map(({ namespace, name }) => ({ namespace, name })),
    clusters: [...clusters],
    progress: [],
  };
}

export function isRelease(rollouts: K8sRollouts | null | undefined): rollouts is K8sRollouts {
  return !!rollouts && (rollouts.workloads.length > 1 || rollouts.clusters.length > 0);
}

export function sameWorkload(a: WorkloadName, b: WorkloadName): boolean {
  return a.namespace === b.namespace && a.name === b.name;
}

/** Whether the record names this workload (a record naming none names nothing). */
export function namesWorkload(record: DeploymentRecord, ref: WorkloadName): boolean {
  if (record.k8s && sameWorkload(record.k8s, ref)) return true;
  return record.k8sRollouts?.workloads.some((named) => sameWorkload(named, ref)) ?? false;
}

/**
 * A workload step folded into the record: its progress takes the step, and for a release the
 * signal is restated as the release's state (the step's own state stays in `detail`).
 */
export function foldWorkload(
  record: DeploymentRecord,
  signal: Signal,
): { signal: Signal; rollouts: K8sRollouts | null } {
  const current = record.k8sRollouts ?? null;
  if (!signal.workload) return { signal, rollouts: current };
  const rollouts = withStep(current, signal.workload, signal);
  if (!isRelease(rollouts)) return { signal, rollouts };
  const release = releaseState(rollouts, signal.at);
  const restated: Signal = {
    ...signal,
    state: release.state,
    at: release.at,
    // The record's `k8s` is its first workload: only that one's revision is its revision.
    k8s: record.k8s && sameWorkload(record.k8s, signal.workload) ? signal.k8s : undefined,
    detail: { ...signal.detail, workload_state: signal.state, release: releaseSummary(rollouts) },
  };
  return { signal: restated, rollouts };
}

function withStep(current: K8sRollouts | null, step: WorkloadStep, signal: Signal): K8sRollouts {
  const base = current ?? { workloads: [], clusters: [], progress: [] };
  const entry: WorkloadProgress = { ...step, state: progressOf(signal.state), at: signal.at };
  const progress = [...base.progress];
  const i = progress.findIndex(
    (p) => p.cluster === step.cluster && p.kind === step.kind && sameWorkload(p, step),
  );
  const previous = progress[i];
  // A revision that finished stays finished: a later scale of it is not a new rollout.
  if (previous?.state === 'success' && previous.revision === step.revision && entry.state === 'in_progress')
    return base;
  if (previous) progress[i] = entry;
  else progress.push(entry);
  return { ...base, progress };
}

function progressOf(state: State): Progress {
  if (state === 'success') return 'success';
  if (state === 'failure' || state === 'error') return 'failure';
  return 'in_progress';
}

/** One workload in one cluster (or in any cluster, when none is named). */
export interface ReleaseUnit {
  cluster: string | null;
  workload: WorkloadName;
  state: Progress;
  at: Date | null;
}

/** Every workload the release waits for: the named ones and those linked to it by annotations. */
function releaseWorkloads(rollouts: K8sRollouts): WorkloadName[] {
  const all = [...rollouts.workloads];
  const counts = (p: WorkloadProgress) =>
    rollouts.clusters.length === 0 || rollouts.clusters.includes(p.cluster);
  for (const p of rollouts.progress)
    if (counts(p) && !all.some((w) => sameWorkload(w, p))) all.push({ namespace: p.namespace, name: p.name });
  return all;
}

export function releaseUnits(rollouts: K8sRollouts): ReleaseUnit[] {
  const workloads = releaseWorkloads(rollouts);
  const clusters: Array<string | null> = rollouts.clusters.length ? rollouts.clusters : [null];
  return clusters.flatMap((cluster) =>
    workloads.map((workload) => {
      const seen = rollouts.progress.filter(
        (p) => sameWorkload(p, workload) && (cluster === null || p.cluster === cluster),
      );
      return { cluster, workload: { ...workload }, ...combine(seen) };
    }),
  );
}

/** A unit's workload seen (in several clusters, when none is named): any completion counts, then any failure. */
function combine(seen: WorkloadProgress[]): { state: Progress; at: Date | null } {
  const done = seen.filter((p) => p.state === 'success');
  if (done.length) return { state: 'success', at: earliest(done) };
  const failed = seen.filter((p) => p.state === 'failure');
  if (failed.length) return { state: 'failure', at: earliest(failed) };
  return { state: 'in_progress', at: null };
}

function earliest(entries: WorkloadProgress[]): Date {
  return entries.reduce((min, p) => (p.at < min ? p.at : min), entries[0]?.at as Date);
}

/**
 * The release's state: failure as soon as any unit failed (dated by the first failure), success
 * once every unit finished (dated by the last to finish), else in progress.
 */
export function releaseState(rollouts: K8sRollouts, now: Date): { state: State; at: Date } {
  const units = releaseUnits(rollouts);
  const failed = units.filter((u) => u.state === 'failure');
  if (failed.length) return { state: 'failure', at: minDate(failed.map((u) => u.at as Date)) };
  if (units.length && units.every((u) => u.state === 'success'))
    return { state: 'success', at: maxDate(units.map((u) => u.at as Date)) };
  return { state: 'in_progress', at: now };
}

const minDate = (dates: Date[]) => dates.reduce((a, b) => (b < a ? b : a));
const maxDate = (dates: Date[]) => dates.reduce((a, b) => (b > a ? b : a));

/** Per cluster (or one line for any cluster): how many of the release's workloads finished. */
export interface ClusterProgress {
  cluster: string | null;
  state: Progress;
  done: number;
  total: number;
}

export function clusterProgress(rollouts: K8sRollouts): ClusterProgress[] {
  const units = releaseUnits(rollouts);
  const clusters: Array<string | null> = rollouts.clusters.length ? rollouts.clusters : [null];
  return clusters.map((cluster) => {
    const own = units.filter((u) => u.cluster === cluster);
    const done = own.filter((u) => u.state === 'success').length;
    const state: Progress = own.some((u) => u.state === 'failure')
      ? 'failure'
      : own.length > 0 && done === own.length
        ? 'success'
        : 'in_progress';
    return { cluster, state, done, total: own.length };
  });
}

const WORDS: Record<Progress, string> = { success: 'done', failure: 'failed', in_progress: 'rolling out' };

/** The release's progress in one line: `east: done 2/2; west: rolling out 1/2`. */
export function releaseSummary(rollouts: K8sRollouts): string {
  return clusterProgress(rollouts)
    .map(({ cluster, state, done, total }) => {
      const counted = `${WORDS[state]} ${done}/${total}`;
      return cluster === null ? `workloads ${counted}` : `${cluster}: ${counted}`;
    })
    .join('; ');
}
