import { decide } from './decide.ts';
import { githubSyncJobs } from './github-sync.ts';
import { compareJobOf, type KindFacts, kindOf } from './kind.ts';
import { expectedRollouts } from './rollouts.ts';
import { isActive } from './states.ts';
import type {
  Decision,
  DeploymentRecord,
  Effect,
  K8sRef,
  Signal,
  SignalSource,
  WorkloadName,
} from './types.ts';

/**
 * What a producer asks to open: the record's identity and what it knows, in `state`. Every record
 * field but the id, the times the core keeps and the kind it decides (from the store's facts, see
 * openRecord), so a field added to the record is asked for here.
 */
export type NewDeployment = Omit<
  DeploymentRecord,
  'id' | 'k8s' | 'kind' | 'createdAt' | 'startedAt' | 'deployedAt' | 'completedAt' | 'updatedAt'
> & {
  /** The Kubernetes object to follow; its revision is learnt from the watcher. */
  k8s: Omit<K8sRef, 'revision'> | null;
  /** Every workload the release names, the first being `k8s` (absent: just `k8s`). */
  k8sWorkloads?: WorkloadName[] | undefined;
  /** The clusters it expects rollouts in (absent or empty: any cluster's counts). */
  k8sClusters?: string[] | undefined;
  /**
   * The same request's hash as it was computed before names were folded: a record created before
   * the upgrade, with a mixed-case name, still recognises its replay.
   */
  legacyFingerprint?: string | null | undefined;
  /**
   * `false`: we create no GitHub deployment for this record (GitHub's job deployment is adopted
   * when its delivery comes; see job-deployment.ts). Default true.
   */
  githubDeployment?: boolean | undefined;
  /**
   * When the record counts as created, when not now: a late delivery's GitHub time, a legacy
   * row's created_at.
   */
  createdAt?: Date | null;
};

export type CreatePlan =
  | { kind: 'replay'; record: DeploymentRecord }
  /** Another producer (a GitHub delivery) opened the record under this key first. */
  | { kind: 'adopt'; record: DeploymentRecord }
  | { kind: 'key_reused'; record: DeploymentRecord }
  | { kind: 'environment_busy'; active: DeploymentRecord }
  | { kind: 'create'; supersede: DeploymentRecord | null };

/**
 * What a create request does, given the record already stored under its key (if any) and
 * the environment's active deployment (if any). Producers that can answer 409 use this.
 */
export function planCreate(
  request: NewDeployment & { supersede: boolean },
  byKey: DeploymentRecord | null,
  active: DeploymentRecord | null,
): CreatePlan {
  if (byKey) {
    if (byKey.fingerprint === null && request.fingerprint !== null) return { kind: 'adopt', record: byKey };
    const sameRequest =
      byKey.fingerprint === request.fingerprint ||
      (request.legacyFingerprint != null && byKey.fingerprint === request.legacyFingerprint);
    return sameRequest ? { kind: 'replay', record: byKey } : { kind: 'key_reused', record: byKey };
  }
  if (!active || !isActive(request.state)) return { kind: 'create', supersede: null };
  if (request.supersede || isRetryOf(request, active)) return { kind: 'create', supersede: active };
  return { kind: 'environment_busy', active };
}

/** A new attempt of the same workflow run is a job re-run, not a conflict. */
function isRetryOf(request: NewDeployment, active: DeploymentRecord): boolean {
  return (
    request.runId !== null &&
    request.runId === active.runId &&
    request.runAttempt !== null &&
    active.runAttempt !== null &&
    request.runAttempt > active.runAttempt
  );
}

/** The signal that retires an active deployment in favour of a newer one. */
export function supersedeSignal(source: SignalSource, by: { id: string; key: string }, at: Date): Signal {
  return {
    source,
    state: 'inactive',
    at,
    reason: 'superseded',
    detail: { superseded_by: by.id, key: by.key },
  };
}

/**
 * A new record in its first state. It starts as `pending` and the requested state is applied
 * as its first signal, so timestamps follow the same rules as every later signal. Its kind
 * follows from what the store knows of the environment's history (`facts`, kind.ts).
 */
export function openRecord(
  request: NewDeployment,
  facts: KindFacts,
  id: string,
  source: SignalSource,
  at: Date,
  now: Date = new Date(),
): Decision {
  // Required: a field added to the record (even an optional one) must be opened here.
  const base: Required<DeploymentRecord> = {
    id,
    repository: request.repository,
    environment: request.environment,
    repositoryId: request.repositoryId ?? null,
    key: request.key,
    sha: request.sha,
    ref: request.ref,
    state: 'pending',
    kind: kindOf(request.sha, facts),
    runId: request.runId,
    runAttempt: request.runAttempt,
    githubDeploymentId: request.githubDeploymentId,
    k8s: request.k8s ? { ...request.k8s, revision: null } : null,
    k8sRollouts: expectedOf(request),
    environmentUrl: null,
    logUrl: null,
    description: null,
    metricsEndpoint: request.metricsEndpoint,
    fingerprint: request.fingerprint,
    commitAt: request.commitAt ?? null,
    createdAt: request.createdAt ?? now,
    startedAt: null,
    deployedAt: null,
    completedAt: null,
    updatedAt: now,
  };
  const signal = openingSignal(request, source, at);
  const decision = decide(base, signal, now);
  // Creating a pending record is not a duplicate of anything: the first signal always applies.
  const opened = { record: decision.record, applied: true };
  const effects: Effect[] = [
    ...decision.effects.filter((effect) => effect.type !== 'github_sync'),
    ...githubSyncJobs({
      before: null,
      signal,
      decision: opened,
      ownDeployment: request.githubDeployment !== false,
    }).map((job) => ({
      type: 'github_sync' as const,
      job,
    })),
  ];
  const compare = compareJobOf(base, facts);
  if (compare) effects.push({ type: 'github_sync', job: compare });
  return { ...opened, reason: null, effects, changed: true };
}

/** The first event on a new record's timeline: the request's state, as a signal. */
export function openingSignal(request: NewDeployment, source: SignalSource, at: Date): Signal {
  return {
    source,
    state: request.state,
    at,
    reason: 'created',
    environmentUrl: request.environmentUrl,
    logUrl: request.logUrl,
    description: request.description,
  };
}

/**
 * The record another producer opened under the request's key, taken over by the request: it
 * keeps what it knows and learns what only the request says; the request's state is then
 * applied as a signal, like any other.
 */
export function adoptRecord(record: DeploymentRecord, request: NewDeployment): DeploymentRecord {
  return {
    ...record,
    fingerprint: request.fingerprint,
    repositoryId: record.repositoryId ?? request.repositoryId ?? null,
    ref: record.ref ?? request.ref,
    runId: record.runId ?? request.runId,
    runAttempt: record.runAttempt ?? request.runAttempt,
    k8s: record.k8s ?? (request.k8s ? { ...request.k8s, revision: null } : null),
    k8sRollouts: adoptRollouts(record, request),
    metricsEndpoint: record.metricsEndpoint ?? request.metricsEndpoint,
    commitAt: record.commitAt ?? request.commitAt ?? null,
  };
}

function expectedOf(request: NewDeployment) {
  const workloads = request.k8sWorkloads ?? (request.k8s ? [request.k8s] : []);
  return expectedRollouts(workloads, request.k8sClusters ?? []);
}

/** What the request expects, with whatever progress the record saw before it was taken over. */
function adoptRollouts(record: DeploymentRecord, request: NewDeployment) {
  const expected = expectedOf(request);
  if (!expected) return record.k8sRollouts ?? null;
  return { ...expected, progress: record.k8sRollouts?.progress ?? [] };
}
