import { randomUUID } from 'node:crypto';
import {
  type Decision,
  type DeliveredDeployment,
  type DeploymentRecord,
  type GithubSyncJob,
  githubSyncOf,
  type NewDeployment,
  openRecord,
  type Signal,
  type SignalSource,
} from '../ledger/index.ts';
import { keyReader } from './batched-key-reads.ts';
import { updateBatcher } from './batched-updates.ts';
import { readById, readByKey } from './conditional-writes.ts';
import { findKindFacts } from './deployment-kind.ts';
import type { SqlRunner, VersionedRecord } from './deployment-sql.ts';
import { findById } from './deployments.ts';
import type { DecisionListener, Tx } from './environment-lock.ts';
import { appendBatcher } from './event-appends.ts';
import type { PrismaClient } from './generated/client.ts';
import { KindFactsGuess } from './kind-guess.ts';
import { foldDelivery } from './ledger-delivery-path.ts';
import { applyAtOnce, createAtOnce, type FastPathDeps } from './ledger-fast-paths.ts';
import {
  createLocked,
  decideAndPersist,
  type LockedPathDeps,
  lockedTransaction,
  persistDecision,
} from './ledger-locked-paths.ts';
import type { CreateResult, SignalResult } from './ledger-results.ts';
import { openBatcher } from './open-batcher.ts';
import { enqueue } from './outbox.ts';
import { RecentRecords } from './recent-records.ts';
import { attachGithubDeployment, note, noteCommitTime, noteCommitTimeOfRun } from './record-facts.ts';
import { respellRepository } from './repository-names.ts';
import { findByRun } from './run-records.ts';
import { applySignalBatch, type BatchedSignal } from './signal-batch.ts';

export type { DecisionListener } from './environment-lock.ts';
export type { CreateResult, SignalResult } from './ledger-results.ts';

/** The ledger bound to one environment's locked transaction; see LedgerStore.inEnvironment. */
export interface EnvironmentLedger {
  tx: Tx;
  /** Decides a signal for the record with this id, read afresh under the lock. */
  apply(id: string, signal: Signal): Promise<SignalResult | null>;
  /** Opens a record in `request.state`; `signal` is its first timeline event. */
  open(request: NewDeployment, source: SignalSource, signal: Signal, createdAt: Date): Promise<SignalResult>;
}

/**
 * The only code that writes a deployment's state: every producer's signal comes through here,
 * is decided by the pure core, and is stored with its timeline event in one transaction that
 * holds the environment's lock. The store carries out the core's effects; it decides nothing.
 */
export class LedgerStore {
  private readonly onDecision: DecisionListener;
  private readonly githubSync: boolean;
  private readonly fast: FastPathDeps;
  private readonly locked: LockedPathDeps;

  constructor(
    private readonly prisma: PrismaClient,
    options: { onDecision?: DecisionListener; githubSync?: boolean; sql?: SqlRunner } = {},
  ) {
    const kindGuess = new KindFactsGuess();
    const listener = options.onDecision ?? (() => {});
    this.onDecision = (signal, decision) => {
      kindGuess.decided(decision.record);
      listener(signal, decision);
    };
    this.githubSync = options.githubSync ?? false;
    const sql: SqlRunner = options.sql ?? {
      query: (text, params) => prisma.$queryRawUnsafe(text, ...params),
    };
    this.fast = {
      sql,
      open: openBatcher(sql),
      update: updateBatcher(sql),
      append: appendBatcher(sql),
      readKey: keyReader(sql),
      jobsOf: (decision) => this.jobsOf(decision),
      onDecision: this.onDecision,
      kindGuess,
      recent: new RecentRecords(),
    };
    this.locked = { prisma, onDecision: this.onDecision, jobsOf: (decision) => this.jobsOf(decision) };
  }

  async create(
    request: NewDeployment & { supersede: boolean },
    source: SignalSource,
    at: Date,
  ): Promise<CreateResult> {
    return (
      (await createAtOnce(this.fast, request, source, at)) ?? createLocked(this.locked, request, source, at)
    );
  }

  /** A record with the version it was read at (node-postgres, one indexed read); null: none. */
  async read(id: string): Promise<VersionedRecord | null> {
    return this.remembered(await readById(this.fast.sql, id));
  }

  /** The record stored under a key (names folded) with its version, as `read` reads by id. */
  async readByKey(repository: string, environment: string, key: string): Promise<VersionedRecord | null> {
    return this.remembered(await readByKey(this.fast.sql, repository, environment, key));
  }

  private remembered(read: VersionedRecord | null): VersionedRecord | null {
    if (read) this.fast.recent.remember(read.record, read.version);
    return read;
  }

  /** Drops the records remembered for the next write (once a burst has passed; see heap-trim.ts). */
  forgetRecent(): void {
    this.fast.recent.clear();
  }

  /**
   * The record as this process last wrote or read it, else read: for a write that checks its
   * version (apply's `known`), never for an answer (it may be stale).
   */
  async recall(id: string): Promise<VersionedRecord | null> {
    return this.fast.recent.get(id) ?? this.read(id);
  }

  /**
   * Applies a producer's signal to the record with this id; null when there is no such record.
   * `known`: the record as just read (`read`), decided on first; a stale one costs a re-read.
   */
  async apply(
    id: string,
    signal: Signal,
    known?: VersionedRecord,
    /** Told each record read afresh to decide on (the caller's `known` was stale); throws to refuse. */
    accept?: (record: DeploymentRecord) => void,
  ): Promise<SignalResult | null> {
    const atOnce = await applyAtOnce(this.fast, id, signal, known, accept);
    if (atOnce !== 'locked') return atOnce;
    const current = await findById(this.prisma, id);
    if (!current) return null;
    accept?.(current);
    return this.inEnvironment(current.repository, current.environment, (ledger) => ledger.apply(id, signal));
  }

  /**
   * Applies many signals (for records of any environments) in one transaction of a few
   * statements (signal-batch.ts); in order, null for a record that is gone. A failure writes none.
   */
  async applyMany(items: BatchedSignal[]): Promise<Array<SignalResult | null>> {
    if (items.length === 0) return [];
    const { outcomes, observed } = await applySignalBatch(this.prisma, items, this.githubSync);
    for (const [signal, decision] of observed) this.onDecision(signal, decision);
    const results: Array<SignalResult | null> = [];
    for (const [i, outcome] of outcomes.entries()) {
      const { record, signal } = items[i] as BatchedSignal;
      // Renamed since the producer read it: under the lock of its current names.
      if (outcome === 'moved') results.push(await this.apply(record.id, signal));
      else results.push(outcome === 'gone' ? null : outcome);
    }
    return results;
  }

  /**
   * Folds what a GitHub delivery saw into the record it correlates with, opening one when none
   * does (the core's openFromDelivery says how).
   */
  applyDelivery(delivered: DeliveredDeployment): Promise<SignalResult> {
    return foldDelivery(this.locked, delivered);
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
    for (const record of await findByRun(this.prisma, { repository, runId, runAttempt }, 'active')) {
      const result = await this.apply(record.id, signal);
      if (result) results.push(result);
    }
    return results;
  }

  /**
   * Work that must read, decide and write rows of one environment in one transaction holding its
   * lock (the locked paths here; sweeper, repair). Every state change goes through the core:
   * `ledger.apply` decides a signal, `ledger.open` opens a record with a given `created_at` (a
   * legacy row's). Other rows (timeline events, duplicates) may be moved with `tx`. Listeners
   * hear of the decisions once the transaction commits.
   */
  async inEnvironment<T>(
    repository: string,
    environment: string,
    work: (ledger: EnvironmentLedger) => Promise<T>,
  ): Promise<T> {
    return lockedTransaction(this.locked, { repository, environment }, (tx, decided) =>
      work({
        tx,
        apply: async (id, signal) => {
          const fresh = await findById(tx, id);
          if (!fresh) return null;
          const now = new Date();
          return decideAndPersist(this.locked, tx, decided, fresh, signal, now);
        },
        open: async (request, source, signal, createdAt) => {
          const now = new Date();
          const facts = await findKindFacts(tx, repository, environment, request.sha);
          const decision = openRecord({ ...request, createdAt }, facts, randomUUID(), source, signal.at, now);
          return persistDecision(this.locked, tx, decided, null, signal, decision, now);
        },
      }),
    );
  }

  /** Queues a GitHub call the core asked for outside a decision (after our create lost a race). */
  queueGithubJob(deploymentId: string, job: GithubSyncJob): Promise<void> {
    return enqueue(this.prisma, { deploymentId, ...job });
  }

  attachGithubDeployment(id: string, githubDeploymentId: number): Promise<DeploymentRecord | null> {
    return attachGithubDeployment(this.prisma, id, githubDeploymentId);
  }

  noteCommitTime(id: string, at: Date): Promise<DeploymentRecord | null> {
    return noteCommitTime(this.prisma, id, at);
  }

  noteCommitTimeOfRun(
    run: { repository: string; runId: number; runAttempt: number; sha: string },
    at: Date,
  ): Promise<DeploymentRecord[]> {
    return noteCommitTimeOfRun(this.prisma, run, at);
  }

  note(deploymentId: string, source: string, reason: string, detail: Record<string, unknown>): Promise<void> {
    return note(this.prisma, deploymentId, source, reason, detail);
  }

  /** The decision's GitHub jobs, when this server posts to GitHub. */
  jobsOf(decision: Decision): GithubSyncJob[] {
    return this.githubSync ? githubSyncOf(decision) : [];
  }
}
