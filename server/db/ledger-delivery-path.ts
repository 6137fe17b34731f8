import { randomUUID } from 'node:crypto';
import {
  type DeliveredDeployment,
  isActive,
  openFromDelivery,
  openRecord,
  sameName,
} from '../ledger/index.ts';
import { correlate } from './delivery-correlation.ts';
import { findKindFacts } from './deployment-kind.ts';
import { findActive, findById } from './deployments.ts';
import { lockEnvironment } from './environment-lock.ts';
import {
  decideAndPersist,
  type LockedPathDeps,
  lockedTransaction,
  persistDecision,
} from './ledger-locked-paths.ts';
import type { SignalResult } from './ledger-results.ts';
import { respellRepository } from './repository-names.ts';

/**
 * Folds what a GitHub delivery saw into the record it correlates with, opening one when none
 * does (the core's openFromDelivery says how), under the environment's lock.
 */
export async function foldDelivery(
  deps: LockedPathDeps,
  delivered: DeliveredDeployment,
): Promise<SignalResult> {
  // GitHub's own spelling and id: a renamed repository's records take the new name first, so
  // correlation below finds them under it.
  await respellRepository(deps.prisma, delivered);
  const { repository, environment } = delivered;
  return lockedTransaction(deps, delivered, async (tx, decided) => {
    const now = new Date();
    const signal = { ...delivered.signal, githubDeploymentId: delivered.githubDeploymentId };
    const found = await correlate(tx, delivered);
    if (found) {
      if (!sameName(found.environment, environment))
        await lockEnvironment(tx, found.repository, found.environment);
      const fresh = (await findById(tx, found.id)) ?? found;
      return decideAndPersist(deps, tx, decided, fresh, signal, now);
    }
    const active = isActive(signal.state) ? await findActive(tx, repository, environment) : null;
    const id = randomUUID();
    const plan = openFromDelivery(delivered, signal, active, id);
    if (plan.supersede) {
      const { record, signal: retire } = plan.supersede;
      await decideAndPersist(deps, tx, decided, record, retire, now);
    }
    const facts = await findKindFacts(tx, repository, environment, delivered.sha);
    const decision = openRecord(plan.request, facts, id, 'webhook', signal.at, now);
    const opened = await persistDecision(deps, tx, decided, null, plan.opening, decision, now);
    if (!plan.afterwards) return opened;
    return decideAndPersist(deps, tx, decided, opened.record, plan.afterwards, now);
  });
}
