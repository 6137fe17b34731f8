import type { DeploymentRecord } from '../ledger/index.ts';
import type { Comments } from './comments.ts';
import type { EnvironmentProtection } from './config.ts';
import { activeFreezeWindow } from './freeze.ts';
import type { RolloutEnd } from './superseded-rollout.ts';

/** What the gate decides about one request; `concerns` is the record whose timeline notes it. */
export type Outcome =
  | { kind: 'approve' | 'reject'; reason: string; comment: string; concerns: DeploymentRecord | null }
  | { kind: 'hold'; waitingFor: DeploymentRecord; deadline: Date | null; comment: string };

export interface Situation {
  environment: string;
  protection: EnvironmentProtection;
  /**
   * The environment's active deployment other than the requesting job's own; or the record the
   * job's own deployment superseded while its rollout still goes on (`activeIsSupersededRollout`).
   */
  active: DeploymentRecord | null;
  activeIsSupersededRollout?: boolean;
  /** The environment's last failed deployment when nothing has succeeded since. */
  unrecoveredFailure: DeploymentRecord | null;
  /** The requesting job's own record, when Deployledger already knows it. */
  own: DeploymentRecord | null;
}

/** Rules that reject whatever else holds: freeze windows, then `reject-after-failure`. */
function gates(s: Situation, at: Date, comments: Comments): Outcome | null {
  const window = activeFreezeWindow(s.protection.freeze_windows, at);
  if (window) {
    return {
      kind: 'reject',
      reason: 'freeze_window',
      comment: comments.frozen(s.environment, window),
      concerns: s.active ?? s.own,
    };
  }
  if (s.protection.policy.includes('reject-after-failure') && s.unrecoveredFailure) {
    return {
      kind: 'reject',
      reason: 'last_deployment_failed',
      comment: comments.afterFailure(s.environment, s.unrecoveredFailure),
      concerns: s.unrecoveredFailure,
    };
  }
  return null;
}

/** A new request: rejected by a rule, rejected or held for an active deployment, else approved. */
export function evaluateRequest(s: Situation, at: Date, comments: Comments): Outcome {
  const rejected = gates(s, at, comments);
  if (rejected) return rejected;
  if (s.active && s.protection.policy.includes('reject-if-active')) {
    return {
      kind: 'reject',
      reason: 'environment_busy',
      comment: comments.busy(s.environment, s.active),
      concerns: s.active,
    };
  }
  if (s.active) {
    const max = s.protection.max_wait_seconds;
    return {
      kind: 'hold',
      waitingFor: s.active,
      deadline: max ? new Date(at.getTime() + max * 1000) : null,
      comment: heldComment(s, s.active, comments),
    };
  }
  return {
    kind: 'approve',
    reason: 'no_active_deployment',
    comment: comments.noActive(s.environment),
    concerns: s.own,
  };
}

/**
 * A held request whose deployment ended, or whose maximum wait passed. The rules are checked
 * again now: a freeze that began, or a failure of the deployment waited for, still rejects.
 */
export function evaluateRelease(
  s: Situation & {
    waitedFor: DeploymentRecord | null;
    /** How the rollout of `waitedFor` ended, when the job's own deployment had superseded it. */
    waitedForEnd: RolloutEnd | null;
    heldSince: Date;
    deadline: Date | null;
  },
  now: Date,
  comments: Comments,
): Outcome {
  const stillActive = s.waitedFor !== null && s.active?.id === s.waitedFor.id;
  if (stillActive && s.deadline && s.deadline <= now) {
    return {
      kind: 'reject',
      reason: 'max_wait_exceeded',
      comment: comments.tooLong(s.environment, s.waitedFor, s.protection.max_wait_seconds ?? 0),
      concerns: s.waitedFor,
    };
  }
  if (stillActive && s.waitedFor) {
    return {
      kind: 'hold',
      waitingFor: s.waitedFor,
      deadline: s.deadline,
      comment: heldComment(s, s.waitedFor, comments),
    };
  }
  const rejected = gates({ ...s, active: s.waitedFor ?? s.active }, now, comments);
  if (rejected) return rejected;
  const end = s.waitedForEnd;
  if (s.waitedFor && end?.outcome === 'failed' && s.protection.policy.includes('reject-after-failure')) {
    return {
      kind: 'reject',
      reason: 'last_deployment_failed',
      comment: comments.rolloutFailed(s.environment, s.waitedFor, end),
      concerns: s.waitedFor,
    };
  }
  if (s.active && !stillActive) {
    // Another deployment started while this one waited: wait for that one too.
    return {
      kind: 'hold',
      waitingFor: s.active,
      deadline: s.deadline,
      comment: heldComment(s, s.active, comments),
    };
  }
  if (!s.waitedFor) {
    return {
      kind: 'approve',
      reason: 'no_active_deployment',
      comment: comments.noActive(s.environment),
      concerns: s.own,
    };
  }
  const waitedMs = now.getTime() - s.heldSince.getTime();
  if (end?.outcome === 'not_started') {
    return {
      kind: 'approve',
      reason: 'waited_for_not_started',
      comment: comments.notStarted(s.environment, s.waitedFor, end, waitedMs),
      concerns: s.waitedFor,
    };
  }
  if (end) {
    return {
      kind: 'approve',
      reason: 'rollout_finished',
      comment: comments.waitedForRollout(s.environment, s.waitedFor, end, waitedMs),
      concerns: s.waitedFor,
    };
  }
  return {
    kind: 'approve',
    reason: 'deployment_finished',
    comment: comments.waited(s.environment, s.waitedFor, waitedMs),
    concerns: s.waitedFor,
  };
}

function heldComment(s: Situation, record: DeploymentRecord, comments: Comments): string {
  return s.activeIsSupersededRollout && s.active?.id === record.id
    ? comments.heldForRollout(s.environment, record)
    : comments.held(s.environment, record);
}
