import { isDeepStrictEqual } from 'node:util';
import { githubSyncJobs } from './github-sync.ts';
import { githubDeploymentAfter, isAboutReplaced, retireJob } from './job-deployment.ts';
import { foldWorkload } from './rollouts.ts';
import { isTerminal, rank } from './states.ts';
import type { Decision, DeploymentRecord, Effect, IgnoredReason, Signal } from './types.ts';

/**
 * The contract's ordering rules, in one place: given a record and a signal, the next record,
 * whether the signal's state was applied (and why not), and the effects to carry out. A workload
 * step of a release is first restated as the release's state (rollouts.ts).
 *
 * Field rules keep the result independent of arrival order wherever the signals agree:
 * - state only moves forward; a terminal state never changes, except success → inactive;
 * - URLs and description: an applied signal overwrites with what it carries; any signal
 *   fills what is still unknown; nothing is erased;
 * - started_at is the earliest in_progress time, deployed_at the earliest success time,
 *   completed_at the earliest time of the terminal state the record holds.
 */
export function decide(record: DeploymentRecord, incoming: Signal, now: Date = new Date()): Decision {
  const { signal, rollouts } = foldWorkload(record, incoming);
  const reason = whyIgnored(record, signal);
  const applied = reason === null;
  const next: DeploymentRecord = { ...record };
  if (rollouts !== (record.k8sRollouts ?? null)) next.k8sRollouts = rollouts;

  if (applied) next.state = signal.state;
  mergeDetails(next, signal, applied);
  mergeTimes(next, signal);
  const changed = !isDeepStrictEqual(next, record);
  if (changed) next.updatedAt = now;

  const effects: Effect[] = [];
  if (applied && record.state !== next.state) {
    effects.push({ type: 'state_changed', from: record.state, to: next.state });
    if (next.state === 'success') effects.push({ type: 'deactivate_older_successes' });
  }
  for (const job of githubSyncJobs({ before: record, signal, decision: { record: next, applied } }))
    effects.push({ type: 'github_sync', job });
  const { replaced } = githubDeploymentAfter(record, signal);
  if (replaced !== null) effects.push({ type: 'github_sync', job: retireJob(record, replaced) });
  const decision: Decision = { record: next, applied, reason, effects, changed };
  if (signal !== incoming) decision.signal = signal;
  return decision;
}

function whyIgnored(record: DeploymentRecord, signal: Signal): IgnoredReason | null {
  if (isAboutReplaced(record, signal)) return 'replaced';
  if (signal.state === record.state) return 'duplicate';
  if (isTerminal(record.state)) {
    if (record.state === 'success' && signal.state === 'inactive') return null;
    return isTerminal(signal.state) ? 'conflicting' : 'late';
  }
  return rank(signal.state) < rank(record.state) ? 'late' : null;
}

function mergeDetails(next: DeploymentRecord, signal: Signal, applied: boolean): void {
  next.environmentUrl = pick(next.environmentUrl, signal.environmentUrl, applied);
  next.logUrl = pick(next.logUrl, signal.logUrl, applied);
  next.description = pick(next.description, signal.description, applied);
  // An active record follows the object it is rolling out as (its latest revision); a finished
  // one keeps what it finished as.
  if (signal.k8s && (applied || !isTerminal(next.state) || next.k8s === null)) next.k8s = { ...signal.k8s };
  next.githubDeploymentId = githubDeploymentAfter(next, signal).id;
}

/** GitHub's id for a record's deployment: the first one stored wins (unless a job's replaces ours). */
export function firstGithubId(record: DeploymentRecord, githubDeploymentId: number): number {
  return record.githubDeploymentId ?? githubDeploymentId;
}

function pick(
  current: string | null,
  incoming: string | null | undefined,
  overwrite: boolean,
): string | null {
  if (incoming === undefined || incoming === null || incoming === '') return current;
  return overwrite || current === null ? incoming : current;
}

function mergeTimes(next: DeploymentRecord, signal: Signal): void {
  if (signal.state === 'in_progress') next.startedAt = earliest(next.startedAt, signal.at);
  if (!endsAs(signal, next)) return;
  next.completedAt = earliest(next.completedAt, signal.at);
  if (signal.state === 'success') next.deployedAt = earliest(next.deployedAt, signal.at);
}

/** A signal "ends" the record when it reports the terminal state the record holds; a success
 * also ends a record that later became inactive (it was deployed, then replaced). */
function endsAs(signal: Signal, next: DeploymentRecord): boolean {
  if (!isTerminal(next.state)) return false;
  return signal.state === next.state || (signal.state === 'success' && next.state === 'inactive');
}

function earliest(current: Date | null, candidate: Date): Date {
  return current === null || candidate < current ? candidate : current;
}
