import { type Decision, type DeploymentRecord, type NewDeployment, planCreate } from '../ledger/index.ts';

export type CreateResult =
  | { kind: 'created'; record: DeploymentRecord }
  | { kind: 'replay'; record: DeploymentRecord }
  | { kind: 'adopted'; record: DeploymentRecord }
  | { kind: 'key_reused'; record: DeploymentRecord }
  | { kind: 'environment_busy'; active: DeploymentRecord };

export interface SignalResult {
  record: DeploymentRecord;
  applied: boolean;
  reason: string | null;
}

/** A create whose key is already taken by a request's record: a replay, or the key reused. */
export function answerExisting(request: NewDeployment, stored: DeploymentRecord): CreateResult {
  const plan = planCreate({ ...request, supersede: false }, stored, null);
  return { kind: plan.kind === 'replay' ? 'replay' : 'key_reused', record: stored };
}

/** The decision asks for auto-inactive: a read of the environment's successes, so the locked path. */
export function retiresOthers(decision: Decision): boolean {
  return decision.effects.some((effect) => effect.type === 'deactivate_older_successes');
}
