import { randomUUID } from 'node:crypto';
import {
  adoptRecord,
  autoInactive,
  type Decision,
  type DeploymentRecord,
  decide,
  type GithubSyncJob,
  type NewDeployment,
  openingSignal,
  openRecord,
  planCreate,
  type Signal,
  type SignalSource,
  supersedeSignal,
} from '../ledger/index.ts';
import { findKindFacts } from './deployment-kind.ts';
import { findActive, findByKey, findInState } from './deployments.ts';
import { type Decided, type DecisionListener, inLockedTransaction, type Tx } from './environment-lock.ts';
import { ACTIVE_INDEX, isUniqueViolation, KEY_INDEX } from './errors.ts';
import type { Prisma, PrismaClient } from './generated/client.ts';
import { answerExisting, type CreateResult, retiresOthers, type SignalResult } from './ledger-results.ts';
import { enqueue } from './outbox.ts';
import { toCreate, toUpdate } from './records.ts';
import { respellRepository } from './repository-names.ts';
import { timelineEntry } from './timeline.ts';

// The locked paths (ledger-fast-paths.ts's counterpart): read, decide in the core and write in one
// transaction that holds the environment's lock, for whatever the one-statement paths cannot do
// (supersede, adopt, respelling, auto-inactive of older successes).

export interface LockedPathDeps {
  prisma: PrismaClient;
  onDecision: DecisionListener;
  jobsOf: (decision: Decision) => GithubSyncJob[];
}

/** One transaction holding the environment's lock; its decisions are told once it commits. */
export function lockedTransaction<T>(
  deps: LockedPathDeps,
  scope: { repository: string; environment: string },
  work: (tx: Tx, decided: Decided) => Promise<T>,
): Promise<T> {
  return inLockedTransaction(deps.prisma, scope, work, deps.onDecision);
}

export function decideAndPersist(
  deps: LockedPathDeps,
  tx: Tx,
  decided: Decided,
  record: DeploymentRecord,
  signal: Signal,
  now: Date,
): Promise<SignalResult> {
  return persistDecision(deps, tx, decided, record, signal, decide(record, signal, now), now);
}

/**
 * Stores a decision and carries out its effects: the row (inserted when `before` is null), its
 * timeline event, its GitHub jobs, and auto-inactive for the environment's other successes.
 */
export async function persistDecision(
  deps: LockedPathDeps,
  tx: Tx,
  decided: Decided,
  before: DeploymentRecord | null,
  signal: Signal,
  decision: Decision,
  now: Date,
): Promise<SignalResult> {
  const { record } = decision;
  if (before === null) await tx.deployment.create({ data: toCreate(record) });
  else await tx.deployment.update({ where: { id: before.id }, data: toUpdate(record) });
  const event = timelineEntry(signal, decision, now);
  await tx.deploymentEvent.create({
    data: { deploymentId: record.id, ...event, detail: event.detail as Prisma.InputJsonValue },
  });
  decided.push([signal, decision]);
  await enqueue(tx, ...deps.jobsOf(decision).map((job) => ({ deploymentId: record.id, ...job })));
  let result: SignalResult = { record, applied: decision.applied, reason: decision.reason };
  if (!retiresOthers(decision)) return result;
  const others = await findInState(tx, record.repository, record.environment, 'success', record.id);
  for (const step of autoInactive(record, others, signal.at)) {
    const retired = await decideAndPersist(deps, tx, decided, step.record, step.signal, now);
    if (step.record.id === record.id) result = { ...result, record: retired.record };
  }
  return result;
}

/** A create the one-statement path could not take: respell, then decide under the lock. */
export async function createLocked(
  deps: LockedPathDeps,
  request: NewDeployment & { supersede: boolean },
  source: SignalSource,
  at: Date,
): Promise<CreateResult> {
  const { repository, environment, key } = request;
  // A replay (or a key reused) is answered from what is stored, before anything is written: a
  // retried request is no news about how GitHub spells the names.
  const stored = await findByKey(deps.prisma, repository, environment, key);
  if (stored && stored.fingerprint !== null) return answerExisting(request, stored);
  // The Action names the repository as GitHub spells it (GITHUB_REPOSITORY): latest spelling
  // wins, unless the create is refused for another active deployment (a refusal changes nothing).
  const active = stored ? null : await findActive(deps.prisma, repository, environment);
  if (planCreate(request, stored, active).kind !== 'environment_busy')
    await respellRepository(deps.prisma, { repository, environment, repositoryId: request.repositoryId });
  try {
    return await lockedTransaction(deps, request, async (tx, decided) => {
      const byKey = await findByKey(tx, repository, environment, key);
      const active = byKey ? null : await findActive(tx, repository, environment);
      const plan = planCreate(request, byKey, active);
      if (plan.kind === 'replay' || plan.kind === 'key_reused')
        return { kind: plan.kind, record: plan.record };
      if (plan.kind === 'environment_busy') return plan;
      const now = new Date();
      if (plan.kind === 'adopt') {
        const signal = { ...openingSignal(request, source, at), reason: 'adopted' };
        const decision = decide(adoptRecord(plan.record, request), signal, now);
        const adopted = await persistDecision(deps, tx, decided, plan.record, signal, decision, now);
        return { kind: 'adopted', record: adopted.record };
      }
      const id = randomUUID();
      if (plan.supersede) {
        const retire = supersedeSignal(source, { id, key }, at);
        await decideAndPersist(deps, tx, decided, plan.supersede, retire, now);
      }
      const facts = await findKindFacts(tx, repository, environment, request.sha);
      const decision = openRecord(request, facts, id, source, at, now);
      const signal = openingSignal(request, source, at);
      const created = await persistDecision(deps, tx, decided, null, signal, decision, now);
      return { kind: 'created', record: created.record };
    });
  } catch (error) {
    if (isUniqueViolation(error, KEY_INDEX)) {
      const winner = await findByKey(deps.prisma, repository, environment, key);
      // A delivery opened it a moment ago: take it over now.
      if (winner?.fingerprint === null) return createLocked(deps, request, source, at);
      if (winner) return answerExisting(request, winner);
    }
    if (isUniqueViolation(error, ACTIVE_INDEX)) {
      const active = await findActive(deps.prisma, repository, environment);
      if (active) return { kind: 'environment_busy', active };
    }
    throw error;
  }
}
