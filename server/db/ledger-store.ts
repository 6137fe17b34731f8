import { randomUUID } from 'node:crypto';
import {
  adoptRecord,
  autoInactive,
  type Decision,
  type DeploymentRecord,
  decide,
  githubSyncJobs,
  isActive,
  type NewDeployment,
  type Observation,
  openRecord,
  planCreate,
  planDeliveryOpening,
  type Signal,
  type SignalSource,
  sameName,
  supersedeSignal,
} from '../ledger/index.ts';
import { insertOpened, readById, readForCreate, updateDecided } from './conditional-writes.ts';
import { correlate, findActiveByRun, findByRun, keyFor } from './correlation.ts';
import { type SqlRunner, timelineEntry } from './deployment-sql.ts';
import { findActive, findById, findByKey, findInState, lockEnvironment } from './deployments.ts';
import { ACTIVE_INDEX, isUniqueViolation, KEY_INDEX } from './errors.ts';
import type { Prisma, PrismaClient } from './generated/client.ts';
import { enqueue } from './outbox.ts';
import { toRow, toUpdate } from './records.ts';
import { respellRepository } from './repository-names.ts';
import { applySignalBatch, type BatchedSignal } from './signal-batch.ts';

type Tx = Prisma.TransactionClient;

// Writes to one environment queue behind its advisory lock; under a burst they wait their turn
// rather than fail, so allow for a long queue.
const TX_OPTIONS = { maxWait: 30_000, timeout: 30_000 };

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

/** The ledger bound to one environment's locked transaction; see LedgerStore.withEnvironment. */
export interface EnvironmentLedger {
  tx: Tx;
  apply(id: string, signal: Signal): Promise<SignalResult | null>;
  /** Opens a record in `request.state`; `signal` is its first timeline event. */
  open(request: NewDeployment, source: SignalSource, signal: Signal, createdAt: Date): Promise<SignalResult>;
}

/** Told of every decision after its transaction commits (logs, metrics). */
export type DecisionObserver = (signal: Signal, decision: Decision) => void;

/**
 * The only code that writes a deployment's state: every producer's signal comes through here,
 * is decided by the pure core, and is stored with its timeline event in one transaction that
 * holds the environment's lock.
 */
export class LedgerStore {
  private readonly observe: DecisionObserver;
  private readonly githubSync: boolean;
  private readonly sql: SqlRunner;

  constructor(
    private readonly prisma: PrismaClient,
    options: { observe?: DecisionObserver; githubSync?: boolean; sql?: SqlRunner } = {},
  ) {
    this.observe = options.observe ?? (() => {});
    this.githubSync = options.githubSync ?? false;
    this.sql = options.sql ?? { query: (text, params) => prisma.$queryRawUnsafe(text, ...params) };
  }

  /**
   * Opens a record or answers a replay in one read and at most one write, when nothing else needs
   * deciding (no supersede, no respelling, no auto-inactive). Null: take the locked path.
   */
  private async createAtOnce(
    request: NewDeployment & { supersede: boolean },
    source: SignalSource,
    at: Date,
  ): Promise<CreateResult | null> {
    if (request.repositoryId != null) return null; // a repository id may rename records: locked path
    const { byKey, active, newest } = await readForCreate(
      this.sql,
      request.repository,
      request.environment,
      request.key,
    );
    // A replay answers what is stored: a retried request is no news about how names are spelled.
    if (byKey && byKey.record.fingerprint !== null) return this.answerExisting(request, byKey.record);
    const respelled =
      newest &&
      (newest.record.repository !== request.repository || newest.record.environment !== request.environment);
    if (respelled) return null;
    const plan = planCreate(request, byKey?.record ?? null, active?.record ?? null);
    if (plan.kind === 'environment_busy') return plan;
    if (plan.kind !== 'create' || plan.supersede) return null;
    const now = new Date();
    const decision = openRecord(request, randomUUID(), source, at, now);
    if (decision.effects.some((effect) => effect.type === 'deactivate_older_successes')) return null;
    const signal = creationSignal(request, source, at);
    const jobs = githubSyncJobs(this.githubSync, { before: null, signal, decision });
    if (!(await insertOpened(this.sql, decision.record, timelineEntry(signal, decision, now), jobs)))
      return null;
    this.observe(signal, decision);
    return { kind: 'created', record: decision.record };
  }

  /** A signal decided and written in one conditional statement; null: take the locked path. */
  private async applyAtOnce(id: string, signal: Signal): Promise<SignalResult | null | 'locked'> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const read = await readById(this.sql, id);
      if (!read) return null;
      const now = new Date();
      const decision = decide(read.record, signal, now);
      if (decision.effects.some((effect) => effect.type === 'deactivate_older_successes')) return 'locked';
      const jobs = githubSyncJobs(this.githubSync, { before: read.record, signal, decision });
      try {
        if (
          await updateDecided(this.sql, read, decision.record, timelineEntry(signal, decision, now), jobs)
        ) {
          this.observe(signal, decision);
          return { record: decision.record, applied: decision.applied, reason: decision.reason };
        }
      } catch (error) {
        if (isUniqueViolation(error, ACTIVE_INDEX)) return 'locked';
        throw error;
      }
      // Another writer changed the record since it was read: read and decide again.
    }
    return 'locked';
  }

  async create(
    request: NewDeployment & { supersede: boolean },
    source: SignalSource,
    at: Date,
  ): Promise<CreateResult> {
    return (await this.createAtOnce(request, source, at)) ?? this.createLocked(request, source, at);
  }

  private async createLocked(
    request: NewDeployment & { supersede: boolean },
    source: SignalSource,
    at: Date,
  ): Promise<CreateResult> {
    const { repository, environment, key } = request;
    // The Action names the repository as GitHub spells it (GITHUB_REPOSITORY): latest spelling wins.
    await respellRepository(this.prisma, { repository, environment, repositoryId: request.repositoryId });
    const stored = await findByKey(this.prisma, repository, environment, key);
    if (stored && stored.fingerprint !== null) return this.answerExisting(request, stored);
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
        if (plan.kind === 'adopt') {
          const now = new Date();
          const adopted = adoptRecord(plan.record, request);
          const signal = { ...creationSignal(request, source, at), reason: 'adopted' };
          const decision = decide(adopted, signal, now);
          const result = await this.persist(tx, plan.record, signal, decision, now, observed, true);
          return { kind: 'adopted', record: result.record };
        }

        const id = randomUUID();
        const now = new Date();
        if (plan.supersede) {
          await this.applyInTx(tx, plan.supersede, supersedeSignal(source, { id, key }, at), now, observed);
        }
        const decision = openRecord(request, id, source, at, now);
        await tx.deployment.create({ data: toRow(decision.record) });
        const signal = creationSignal(request, source, at);
        const stored = await this.persist(tx, decision.record, signal, decision, now, observed, false);
        return { kind: 'created', record: stored.record };
      }, TX_OPTIONS);
      for (const [signal, decision] of observed) this.observe(signal, decision);
      return result;
    } catch (error) {
      if (isUniqueViolation(error, KEY_INDEX)) {
        const winner = await findByKey(this.prisma, repository, environment, key);
        // A delivery opened it a moment ago: take it over now.
        if (winner?.fingerprint === null) return this.createLocked(request, source, at);
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
    const atOnce = await this.applyAtOnce(id, signal);
    return atOnce === 'locked' ? this.applyLocked(id, signal) : atOnce;
  }

  /**
   * Applies many signals (for records of any environments) in one transaction of a few
   * statements (signal-batch.ts); in order, null for a record that is gone. A failure writes none.
   */
  async applyMany(items: BatchedSignal[]): Promise<Array<SignalResult | null>> {
    if (items.length === 0) return [];
    const { outcomes, observed } = await applySignalBatch(this.prisma, items, this.githubSync);
    for (const [signal, decision] of observed) this.observe(signal, decision);
    const results: Array<SignalResult | null> = [];
    for (const [i, outcome] of outcomes.entries()) {
      const { record, signal } = items[i] as BatchedSignal;
      // Renamed since the producer read it: under the lock of its current names.
      if (outcome === 'moved') results.push(await this.apply(record.id, signal));
      else results.push(outcome === 'gone' ? null : outcome);
    }
    return results;
  }

  private async applyLocked(id: string, signal: Signal): Promise<SignalResult | null> {
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

  /**
   * Folds what a GitHub delivery saw into the record it correlates with, opening one when none
   * does. Never refuses: a newer deployment (by GitHub's own time) supersedes the active one; an
   * older one arriving late is recorded as already superseded.
   */
  async observeDelivery(observation: Observation): Promise<SignalResult> {
    // GitHub's own spelling and id: a renamed repository's records take the new name first, so
    // correlation below finds them under it.
    await respellRepository(this.prisma, observation);
    const observed: Array<[Signal, Decision]> = [];
    const result = await this.prisma.$transaction(async (tx) => {
      await lockEnvironment(tx, observation.repository, observation.environment);
      const now = new Date();
      const signal = { ...observation.signal, githubDeploymentId: observation.githubDeploymentId };
      const found = await correlate(tx, observation);
      if (found) {
        if (!sameName(found.environment, observation.environment))
          await lockEnvironment(tx, found.repository, found.environment);
        const fresh = (await findById(tx, found.id)) ?? found;
        return this.applyInTx(tx, fresh, signal, now, observed);
      }
      return this.openFromDelivery(tx, observation, signal, now, observed);
    }, TX_OPTIONS);
    for (const [s, decision] of observed) this.observe(s, decision);
    return result;
  }

  /** A failed, cancelled or timed-out workflow run ends its still-active deployments. */
  async endRun(
    repository: string,
    runId: number,
    runAttempt: number,
    signal: Signal,
    repositoryId: number | null = null,
  ): Promise<SignalResult[]> {
    if (repositoryId !== null) await respellRepository(this.prisma, { repository, repositoryId });
    const results: SignalResult[] = [];
    for (const record of await findActiveByRun(this.prisma, repository, runId, runAttempt)) {
      const result = await this.apply(record.id, signal);
      if (result) results.push(result);
    }
    return results;
  }

  /**
   * Maintenance work (sweeper, repair, import) that must read, decide and move rows of one
   * environment in a single transaction holding its lock. Every state change still goes through
   * the core: `ledger.apply` decides a signal, `ledger.open` opens a record with a given
   * `created_at` (a legacy row's). Other rows (timeline events, duplicates) may be moved with `tx`.
   */
  async withEnvironment<T>(
    repository: string,
    environment: string,
    work: (ledger: EnvironmentLedger) => Promise<T>,
  ): Promise<T> {
    const observed: Array<[Signal, Decision]> = [];
    const result = await this.prisma.$transaction(async (tx) => {
      await lockEnvironment(tx, repository, environment);
      return work({
        tx,
        apply: async (id, signal) => {
          const fresh = await findById(tx, id);
          return fresh ? this.applyInTx(tx, fresh, signal, new Date(), observed) : null;
        },
        open: async (request, source, signal, createdAt) => {
          const now = new Date();
          const decision = openRecord(request, randomUUID(), source, signal.at, now);
          decision.record.createdAt = createdAt;
          await tx.deployment.create({ data: toRow(decision.record) });
          return this.persist(tx, decision.record, signal, decision, now, observed, false);
        },
      });
    }, TX_OPTIONS);
    for (const [s, decision] of observed) this.observe(s, decision);
    return result;
  }

  /** Remembers GitHub's id for a record's deployment; the first id stored wins. */
  async attachGithubDeployment(id: string, githubDeploymentId: number): Promise<DeploymentRecord | null> {
    const current = await findById(this.prisma, id);
    if (!current) return null;
    // Under the environment's lock: a signal applied at the same moment writes the whole row
    // back from what it read, and would erase the id (the next job then created a second one).
    return this.prisma.$transaction(async (tx) => {
      await lockEnvironment(tx, current.repository, current.environment);
      await tx.deployment.updateMany({
        where: { id, githubDeploymentId: null },
        data: { githubDeploymentId: BigInt(githubDeploymentId) },
      });
      return findById(tx, id);
    }, TX_OPTIONS);
  }

  /**
   * Remembers when the record's commit was made (lead time for changes), only when no producer
   * said so before: the first time stored wins. Not a state change, so no signal and no event.
   */
  async noteCommitTime(id: string, at: Date): Promise<DeploymentRecord | null> {
    const current = await findById(this.prisma, id);
    if (!current) return null;
    if (current.commitAt) return current;
    // Under the environment's lock for the same reason as attachGithubDeployment.
    return this.prisma.$transaction(async (tx) => {
      await lockEnvironment(tx, current.repository, current.environment);
      await tx.deployment.updateMany({
        where: { id, commitAt: null },
        data: { commitAt: at, updatedAt: new Date() },
      });
      return findById(tx, id);
    }, TX_OPTIONS);
  }

  /**
   * A workflow run's commit time, for the run attempt's records of that commit (any state, any
   * environment) that have none yet. Returns the records that took it.
   */
  async noteCommitTimeOfRun(
    run: { repository: string; runId: number; runAttempt: number; sha: string },
    at: Date,
  ): Promise<DeploymentRecord[]> {
    const dated: DeploymentRecord[] = [];
    for (const record of await findByRun(this.prisma, run.repository, run.runId, run.runAttempt)) {
      if (record.commitAt || record.sha.toLowerCase() !== run.sha.toLowerCase()) continue;
      const noted = await this.noteCommitTime(record.id, at);
      if (noted?.commitAt?.getTime() === at.getTime()) dated.push(noted);
    }
    return dated;
  }

  /** A timeline entry that is not a signal (an outbound call, a decision about the record). */
  async note(
    deploymentId: string,
    source: string,
    reason: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.prisma.deploymentEvent.create({
      data: {
        deploymentId,
        source,
        state: null,
        applied: true,
        reason,
        detail: detail as Prisma.InputJsonValue,
        occurredAt: new Date(),
      },
    });
  }

  private async openFromDelivery(
    tx: Tx,
    observation: Observation,
    signal: Signal,
    now: Date,
    observed: Array<[Signal, Decision]>,
  ): Promise<SignalResult> {
    const opened = { id: randomUUID(), key: keyFor(observation) };
    const active = isActive(signal.state)
      ? await findActive(tx, observation.repository, observation.environment)
      : null;
    const plan = planDeliveryOpening(observation, signal, opened, active);
    if (active && plan.supersedeActive) await this.applyInTx(tx, active, plan.supersedeActive, now, observed);
    const decision = openRecord(plan.request, opened.id, 'webhook', signal.at, now);
    decision.record.createdAt = observation.createdAt;
    await tx.deployment.create({ data: toRow(decision.record) });
    const result = await this.persist(tx, decision.record, plan.opening, decision, now, observed, false);
    // Keep what the delivery said on the timeline, even though the record opened superseded.
    return plan.then ? this.applyInTx(tx, result.record, plan.then, now, observed) : result;
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
    if (update) await tx.deployment.update({ where: { id: before.id }, data: toUpdate(record) });
    const event = timelineEntry(signal, decision, now);
    await tx.deploymentEvent.create({
      data: { deploymentId: record.id, ...event, detail: event.detail as Prisma.InputJsonValue },
    });
    observed.push([signal, decision]);
    for (const job of githubSyncJobs(this.githubSync, { before: update ? before : null, signal, decision }))
      await enqueue(tx, { deploymentId: record.id, ...job });
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
