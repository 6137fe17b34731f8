import type { DeploymentRecord } from '../ledger/index.ts';
import type { FreezeWindow } from './config.ts';
import { describeWindow } from './freeze.ts';
import type { RolloutEnd } from './superseded-rollout.ts';

/** The texts GitHub shows in the waiting job's review history; each names why. */
export class Comments {
  constructor(private readonly publicUrl: string | null) {}

  /** How a comment names a deployment: its key, short sha and a link to its record. */
  name(record: DeploymentRecord): string {
    const link = this.publicUrl
      ? ` — ${this.publicUrl}/v1/deployments/${record.id}`
      : ` (record ${record.id})`;
    return `deployment ${record.key} (${record.sha.slice(0, 7)})${link}`;
  }

  noActive(environment: string): string {
    return `Deployledger: no deployment is in progress on ${environment}; approved.`;
  }

  waited(environment: string, record: DeploymentRecord, waitedMs: number): string {
    return `Deployledger: waited ${duration(waitedMs)} for ${this.name(record)} to finish on ${environment} (${record.state}); approved.`;
  }

  waitedForRollout(environment: string, record: DeploymentRecord, end: RolloutEnd, waitedMs: number): string {
    return `Deployledger: waited ${duration(waitedMs)} for the rollout of ${this.name(record)} to end on ${environment} (its record was superseded by a later deployment; ${end.seenBy}); approved.`;
  }

  notStarted(environment: string, record: DeploymentRecord, end: RolloutEnd, waitedMs: number): string {
    return `Deployledger: waited ${duration(waitedMs)} for ${this.name(record)} on ${environment}, which will not roll out (${end.seenBy}); approved.`;
  }

  rolloutFailed(environment: string, record: DeploymentRecord, end: RolloutEnd): string {
    return `Deployledger: rejected — the rollout of ${this.name(record)} on ${environment} failed (${end.seenBy}) (policy reject-after-failure).`;
  }

  busy(environment: string, record: DeploymentRecord): string {
    return `Deployledger: rejected — ${this.name(record)} is still in progress on ${environment} (policy reject-if-active).`;
  }

  afterFailure(environment: string, record: DeploymentRecord): string {
    return `Deployledger: rejected — the last deployment to ${environment}, ${this.name(record)}, ended in ${record.state} and nothing has succeeded since (policy reject-after-failure).`;
  }

  frozen(environment: string, window: FreezeWindow): string {
    return `Deployledger: rejected — ${environment} is frozen by the freeze window ${describeWindow(window)}.`;
  }

  tooLong(environment: string, record: DeploymentRecord | null, maxWaitSeconds: number): string {
    const what = record ? this.name(record) : 'the active deployment';
    return `Deployledger: rejected — waited longer than the maximum of ${duration(maxWaitSeconds * 1000)} (max_wait_seconds) for ${what} to finish on ${environment}.`;
  }

  held(environment: string, record: DeploymentRecord): string {
    return `Deployledger: holding the job until ${this.name(record)} finishes on ${environment}.`;
  }

  heldForRollout(environment: string, record: DeploymentRecord): string {
    return `Deployledger: holding the job until the rollout of ${this.name(record)} ends on ${environment} (its record was superseded by a later deployment, but the rollout is still in progress).`;
  }
}

function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
