// The ledger core: pure functions from record + signal to record + effects. No I/O here;
// producers call it through the store (server/db/ledger-store.ts), and it imports none of them.

export {
  adoptRecord,
  autoInactive,
  type CreatePlan,
  type NewDeployment,
  openRecord,
  planCreate,
  supersedeSignal,
} from './create.ts';
export { decide } from './decide.ts';
export { type DeliveryOpening, planDeliveryOpening } from './delivery-open.ts';
export { type GithubSyncJob, githubSyncJobs } from './github-sync.ts';
export { foldName, includesName, sameName } from './names.ts';
export * from './states.ts';
export type * from './types.ts';
