import { randomUUID } from 'node:crypto';
import {
  type Decision,
  type DeploymentRecord,
  decide,
  type NewDeployment,
  openRecord,
  planCreate,
  type Signal,
  type SignalSource,
  supersedeSignal,
} from '../ledger/index.ts';
import { findActive, findById, findByKey, findInState, lockEnvironment } from './deployments.ts';
import { ACTIVE_INDEX, isUniqueViolation, KEY_INDEX } from './errors.ts';
import type { Prisma, PrismaClient } from './generated/client.ts';
import { toRow } from './records.ts';

type Tx = Prisma.TransactionClient;

// Writes to one environment queue behind its advisory lock; under a burst they wait their turn
// rather than fail, so allow for a long queue.
const TX_OPTIONS = { maxWait: 30_000, timeout: 30_000 };

export type CreateResult =
  | { kind: 'created'; record: DeploymentRecord }
  | { kind: 'replay'; record: DeploymentRecord }
  | { kind: 'key_reused'; record: DeploymentRecord }
  | { kind: 'environment_busy'; active: DeploymentRecord };

export interface SignalResult {
  record: DeploymentRecord;
  applied: boolean;
  reason: string | null;
}

/** Told of every decision after its transaction commits (logs, metrics). */
export type DecisionObserver = (signal: Signal, decision: Decision) => void;

/**
 * The only code that writes a deployment's state: every producer's signal comes through here,
 * is decided by the pure core, and is stored with its timeline event in one transaction that
 * holds the environment's lock.
 */
export class LedgerStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly observe: DecisionObserver = () => {},
  ) {}

  async create(
    request: NewDeployment & { supersede: boolean },
    source: SignalSource,
    at: Date,
  ): Promise<CreateResult> {
    const { repository, environment, key } = request;
    const stored = await findByKey(this.prisma, repository, environment, key);
    if (stored) return this.answerExisting(request, stored);
    const observed: Array<[Signal, Decision]> = [];
    try {
      const result = await this.prisma.$transaction(async (tx): Promise<CreateResult> => {
        await lockEnvironment(tx, repository, environment);
        const byKey = await findByKey(tx, repository, environment, key);
        const active = byKey ? null : await findActive(tx, repository, environment);
        const plan = planCreate(request, byKey, active);
        if (plan.kind === 'replay' || plan.kind === 'key_reused')
          return { kind: plan.kind, record: plan.record };
        if (plan.kind === 'environment_busy') return plan;

        const id = randomUUID();
        const now = new Date();
        if (plan.supersede) {
          await this.applyInTx(tx, plan.supersede, supersedeSignal(source, { id, key }, at), now, observed);
        }
        const decision = openRecord(request, id, source, at, now);
        await tx.deployment.create({ data: toRow(decision.record) });
        const signal = creationSignal(request, source, at);
        await this.persist(tx, decision.record, signal, decision, now, observed, false);
        return { kind: 'created', record: decision.record };
      }, TX_OPTIONS);
      for (const [signal, decision] of observed) this.observe(signal, decision);
      return result;
    } catch (error) {
      if (isUniqueViolation(error, KEY_INDEX)) {
        const winner = await findByKey(this.prisma, repository, environment, key);
        if (winner) return this.answerExisting(request, winner);
      }
      if (isUniqueViolation(error, ACTIVE_INDEX)) {
        const active = await findActive(this.prisma, repository, environment);
        if (active) return { kind: 'environment_busy', active };
      }
      throw error;
    }
  }

  /** Applies a producer's signal to the record with this id; null when there is no such record. */
  async apply(id: string, signal: Signal): Promise<SignalResult | null> {
    const current = await findById(this.prisma, id);
    if (!current) return null;
    const observed: Array<[Signal, Decision]> = [];
    const result = await this.prisma.$transaction(async (tx) => {
      await lockEnvironment(tx, current.repository, current.environment);
      const fresh = await findById(tx, id);
      if (!fresh) return null;
      return this.applyInTx(tx, fresh, signal, new Date(), observed);
    }, TX_OPTIONS);
    for (const [s, decision] of observed) this.observe(s, decision);
    return result;
  }

  private answerExisting(request: NewDeployment, stored: DeploymentRecord): CreateResult {
    const plan = planCreate({ ...request, supersede: false }, stored, null);
    return { kind: plan.kind === 'replay' ? 'replay' : 'key_reused', record: stored };
  }

  private async applyInTx(
    tx: Tx,
    record: DeploymentRecord,
    signal: Signal,
    now: Date,
    observed: Array<[Signal, Decision]>,
  ): Promise<SignalResult> {
    const decision = decide(record, signal, now);
    return this.persist(tx, record, signal, decision, now, observed, true);
  }

  private async persist(
    tx: Tx,
    before: DeploymentRecord,
    signal: Signal,
    decision: Decision,
    now: Date,
    observed: Array<[Signal, Decision]>,
    update: boolean,
  ): Promise<SignalResult> {
    let { record } = decision;
    if (update) await tx.deployment.update({ where: { id: before.id }, data: toRow(record) });
    await tx.deploymentEvent.create({
      data: {
        deploymentId: record.id,
        source: signal.source,
        state: signal.state,
        applied: decision.applied,
        reason: decision.reason ?? signal.reason ?? null,
        detail: timelineDetail(signal) as Prisma.InputJsonValue,
        occurredAt: signal.at,
        receivedAt: now,
      },
    });
    observed.push([signal, decision]);
    for (const effect of decision.effects) {
      if (effect.type === 'deactivate_older_successes') {
        record = await this.deactivateOlderSuccesses(tx, record, signal, now, observed);
      }
    }
    return { record, applied: decision.applied, reason: decision.reason };
  }

  /** GitHub's auto-inactive: when a deployment succeeds, earlier successes become inactive. */
  private async deactivateOlderSuccesses(
    tx: Tx,
    record: DeploymentRecord,
    signal: Signal,
    now: Date,
    observed: Array<[Signal, Decision]>,
  ): Promise<DeploymentRecord> {
    const others = await findInState(tx, record.repository, record.environment, 'success', record.id);
    const newer = others.find((other) => other.createdAt > record.createdAt);
    if (newer) {
      const late = autoInactive(newer, signal.at);
      return (await this.applyInTx(tx, record, late, now, observed)).record;
    }
    for (const older of others)
      await this.applyInTx(tx, older, autoInactive(record, signal.at), now, observed);
    return record;
  }
}

function autoInactive(by: DeploymentRecord, at: Date): Signal {
  return {
    source: 'ledger',
    state: 'inactive',
    at,
    reason: 'auto_inactive',
    detail: { superseded_by: by.id },
  };
}

function creationSignal(request: NewDeployment, source: SignalSource, at: Date): Signal {
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

function timelineDetail(signal: Signal): Record<string, unknown> {
  const detail: Record<string, unknown> = { ...signal.detail };
  if (signal.reason) detail.signal_reason = signal.reason;
  if (signal.environmentUrl) detail.environment_url = signal.environmentUrl;
  if (signal.logUrl) detail.log_url = signal.logUrl;
  if (signal.description) detail.description = signal.description;
  return detail;
}
