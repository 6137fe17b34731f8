import type { DeploymentKind, State } from './states.ts';

export interface K8sRef {
  namespace: string;
  name: string;
  revision: string | null;
}

/** A workload a record names: which object (of any watched kind) in which namespace. */
export interface WorkloadName {
  namespace: string;
  name: string;
}

/** One rollout step of one workload in one cluster, as the watcher saw it. */
export interface WorkloadStep extends WorkloadName {
  /** The cluster the watcher that saw it watches (its kubeconfig context or DEPLOYLEDGER_CLUSTER). */
  cluster: string;
  kind: string;
  revision: string | null;
  step: string;
  /** The producer's identity of this step, so it is recognised when seen again. */
  observation: string;
}

/** A workload's latest step in a cluster, and what it means for it: rolling, done or failed. */
export interface WorkloadProgress extends WorkloadStep {
  state: 'in_progress' | 'success' | 'failure';
  at: Date;
}

/**
 * What a record expects to roll out, and how far each workload got in each cluster. A release
 * (several workloads named, or named clusters) takes its state from all of them (rollouts.ts).
 */
export interface K8sRollouts {
  /** The workloads named on create, in order (the first is also the record's `k8s`). */
  workloads: WorkloadName[];
  /** The clusters expected to roll out; empty: any cluster's rollout counts. */
  clusters: string[];
  /** Each workload's latest step per cluster, in the order first seen. */
  progress: WorkloadProgress[];
}

/** The one true record of a deployment, as the core sees it (no storage details). */
export interface DeploymentRecord {
  id: string;
  /** As GitHub last spelled them; compared case-insensitively (see names.ts). */
  repository: string;
  environment: string;
  /** GitHub's numeric repository id, when a producer gave it (survives renames and transfers). */
  repositoryId?: number | null;
  key: string;
  sha: string;
  ref: string | null;
  state: State;
  /** Forward, redeploy or rollback (kind.ts); decided when the record opens, refined by GitHub. */
  kind: DeploymentKind;
  runId: number | null;
  runAttempt: number | null;
  githubDeploymentId: number | null;
  k8s: K8sRef | null;
  /** The workloads and clusters it expects, and their progress; null when it never had any. */
  k8sRollouts?: K8sRollouts | null;
  environmentUrl: string | null;
  logUrl: string | null;
  description: string | null;
  metricsEndpoint: string | null;
  /**
   * Hash of the create request's body, to tell a replay from a different request with the same
   * key; null for a record a delivery opened.
   */
  fingerprint: string | null;
  /** When the deployed commit was made (for lead time); null when no producer said. */
  commitAt?: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  deployedAt: Date | null;
  completedAt: Date | null;
  updatedAt: Date;
}

/** Who sent a signal; shown on the timeline. */
export type SignalSource = 'action' | 'webhook' | 'k8s' | 'sweeper' | 'reconcile' | 'repair' | 'ledger';

/** Something a producer observed about a deployment, in the ledger's terms. */
export interface Signal {
  source: SignalSource;
  state: State;
  /** When it happened, by the producer's own clock (or arrival time when it has none). */
  at: Date;
  environmentUrl?: string | null | undefined;
  logUrl?: string | null | undefined;
  description?: string | null | undefined;
  /** The Kubernetes object (and rollout revision) the producer saw this deployment as. */
  k8s?: K8sRef | undefined;
  /** The workload step this reports (from the watcher): which cluster, kind, object and step. */
  workload?: WorkloadStep | undefined;
  /** GitHub's id for this deployment, when the producer knows it. */
  githubDeploymentId?: number | undefined;
  /** Who created that GitHub deployment, when a delivery tells (see job-deployment.ts). */
  githubDeploymentOrigin?: GithubDeploymentOrigin | undefined;
  /** Why the producer sent it (`superseded`, `timed_out`, `auto_inactive`, …). */
  reason?: string | undefined;
  /** Producer-specific facts kept on the timeline (delivery id, k8s generation, …). */
  detail?: Record<string, unknown> | undefined;
}

/**
 * Who created a GitHub deployment: we did (its payload carries our marker), GitHub did for a job
 * with `environment:` (its deliveries name the job's workflow run), or someone else.
 */
export type GithubDeploymentOrigin = 'ours' | 'job' | 'other';

/**
 * Why a signal did not change the state. `replaced`: it is about a GitHub deployment of ours that
 * the record no longer uses (it adopted GitHub's job deployment instead).
 */
export type IgnoredReason = 'late' | 'duplicate' | 'conflicting' | 'replaced';

/** A call towards GitHub's Deployments API, queued in the outbox with the change that needs it. */
export interface GithubSyncJob {
  kind:
    | 'github.create_deployment'
    | 'github.create_status'
    | 'github.compare_kind'
    | 'github.retire_deployment';
  payload: Record<string, unknown>;
  /** The outbox adds a job with the same key once. */
  dedupeKey: string;
}

/** Work the core asks its caller to do after a decision; carried out in the same transaction. */
export type Effect =
  | { type: 'state_changed'; from: State; to: State }
  /** The record succeeded: older successes of its environment become inactive (auto-inactive). */
  | { type: 'deactivate_older_successes' }
  /** Post the change to GitHub (when the server has a GitHub connection). */
  | { type: 'github_sync'; job: GithubSyncJob };

export interface Decision {
  record: DeploymentRecord;
  applied: boolean;
  reason: IgnoredReason | null;
  effects: Effect[];
  /**
   * Whether the record differs from the one decided on. False: only its timeline grows (a repeated
   * or late report that carries nothing new), and `updated_at` keeps the record's last change.
   */
  changed: boolean;
  /** The signal as decided, when the core restated it (a release's workload step); the timeline shows it. */
  signal?: Signal;
}

/**
 * What a producer that cannot be answered with 409 (webhooks) saw of a deployment: enough to
 * find the record (first match wins: our marker, the workflow run, GitHub's id) or to open one.
 */
export interface DeliveredDeployment {
  repository: string;
  environment: string;
  /** GitHub's numeric id of the repository (`repository.id`), when the payload has it. */
  repositoryId?: number | null;
  sha: string;
  ref: string | null;
  /** The record id we put in the GitHub deployment's payload, if it is one of ours. */
  marker: string | null;
  runId: number | null;
  runAttempt: number | null;
  githubDeploymentId: number;
  /** When the deployment was created, by GitHub's clock: decides which of two is newer. */
  createdAt: Date;
  signal: Signal;
}
