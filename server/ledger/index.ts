// The ledger core: pure functions from record + signal to record + effects. No I/O here;
// producers call it through the store (server/db/ledger-store.ts), and it imports none of them.

export { autoInactive, autoInactiveSignal } from './auto-inactive.ts';
export {
  adoptRecord,
  type CreatePlan,
  type NewDeployment,
  openingSignal,
  openRecord,
  planCreate,
  supersedeSignal,
} from './create.ts';
export { decide, firstGithubId } from './decide.ts';
export { type DeliveryOpening, deliveryKey, openFromDelivery } from './delivery.ts';
export { githubSyncJobs, githubSyncOf, releaseDescription } from './github-sync.ts';
export {
  afterOurCreate,
  type GithubDeploymentChoice,
  githubDeploymentAfter,
  isAboutReplaced,
  retireJob,
} from './job-deployment.ts';
export {
  CLUSTER_NAME_PATTERN,
  MAX_CLUSTERS,
  MAX_WORKLOADS,
  NAMESPACE_PATTERN,
  nameListProblem,
  splitNameList,
  WORKLOAD_NAME_PATTERN,
} from './k8s-names.ts';
export {
  type CompareStatus,
  compareJobOf,
  type KindFacts,
  kindOf,
  NO_HISTORY,
  refineKind,
} from './kind.ts';
export { foldName, includesName, sameName } from './names.ts';
export {
  type ClusterProgress,
  clusterProgress,
  expectedRollouts,
  isRelease,
  namesWorkload,
  releaseState,
  releaseSummary,
  releaseUnits,
  sameWorkload,
} from './rollouts.ts';
export { MAX_RUN_ATTEMPT, parseRunKey, runKey } from './run-key.ts';
export * from './states.ts';
export { isStuck, type StuckPolicy, stuckAfterMs, timedOutSignal } from './stuck.ts';
export type * from './types.ts';
