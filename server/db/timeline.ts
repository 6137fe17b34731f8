import type { Signal, State } from '../ledger/index.ts';
import type { Db } from './deployments.ts';

// A deployment's timeline (deployment_event): one row per decided signal, and notes.

/** The timeline row of one decided signal. */
export interface TimelineEntry {
  source: string;
  state: State | null;
  applied: boolean;
  reason: string | null;
  detail: Record<string, unknown>;
  occurredAt: Date;
  receivedAt: Date;
}

/** A decided signal as the core restated it (a release's workload step), else as it came. */
export function timelineEntry(
  received: Signal,
  decision: { applied: boolean; reason: string | null; signal?: Signal | undefined },
  now: Date,
): TimelineEntry {
  const signal = decision.signal ?? received;
  return {
    source: signal.source,
    state: signal.state,
    applied: decision.applied,
    reason: decision.reason ?? signal.reason ?? null,
    detail: timelineDetail(signal),
    occurredAt: signal.at,
    receivedAt: now,
  };
}

export function timelineDetail(signal: Signal): Record<string, unknown> {
  const detail: Record<string, unknown> = { ...signal.detail };
  if (signal.reason) detail.signal_reason = signal.reason;
  if (signal.environmentUrl) detail.environment_url = signal.environmentUrl;
  if (signal.logUrl) detail.log_url = signal.logUrl;
  if (signal.description) detail.description = signal.description;
  return detail;
}

/** A timeline row as stored and read back (the API's events, the dashboard's timeline). */
export interface TimelineEvent {
  id: bigint;
  source: string;
  state: string | null;
  applied: boolean;
  reason: string | null;
  detail: unknown;
  occurredAt: Date;
  receivedAt: Date;
}

/** A record's timeline, in the order it was written. */
export async function findTimeline(db: Db, deploymentId: string) {
  return db.deploymentEvent.findMany({ where: { deploymentId }, orderBy: { id: 'asc' } });
}
