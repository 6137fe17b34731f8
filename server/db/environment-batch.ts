import { randomUUID } from 'node:crypto';
import {
  autoInactive,
  type Decision,
  type DeploymentRecord,
  decide,
  isActive,
  type KindFacts,
  type NewDeployment,
  openRecord,
  type Signal,
  type SignalSource,
} from '../ledger/index.ts';
import { type TimelineEntry, timelineEntry } from './timeline.ts';

/** A timeline row decided in memory, written with its batch. */
export type EventRow = TimelineEntry & { deploymentId: string };

/** What a bulk producer (import) reads and decides through, for one environment. */
export interface BatchLedger {
  /** Whether a record with this key is stored (or opened in this batch). */
  hasKey(key: string): boolean;
  /** The environment's active record, if any. */
  active(): DeploymentRecord | null;
  apply(id: string, signal: Signal): DeploymentRecord;
  /**
   * Opens a record in `request.state`; `signal` is its first timeline event. `opened.at` times the
   * opening when it is not the signal's own time; `opened.id` when the id was chosen before.
   */
  open(
    request: NewDeployment,
    source: SignalSource,
    signal: Signal,
    createdAt: Date,
    opened?: { id?: string; at?: Date },
  ): DeploymentRecord;
}

/**
 * One environment's ledger held in memory for a batch: the stored records a signal can still
 * change (the active one and the successes, which auto-inactive retires) plus every record the
 * batch opens. Each signal is decided by the core exactly as LedgerStore.persistDecision does it
 * (timeline event, auto-inactive effect); the batch is then written in a few statements
 * (bulk-write.ts) inside the transaction that holds the environment's lock (bulk-ledger.ts).
 */
export class EnvironmentBatch implements BatchLedger {
  readonly records = new Map<string, DeploymentRecord>();
  /** Records opened in this batch, in order. */
  readonly opened: string[] = [];
  private readonly openedIds = new Set<string>();
  /** Stored records this batch changed. */
  readonly changed = new Set<string>();
  readonly events: EventRow[] = [];
  private readonly keys: Set<string>;
  private readonly successes = new Set<string>();
  /** Shas (lowered) that reached success in the environment: stored, or in this batch so far. */
  private readonly deployedShas: Set<string>;
  private activeId: string | null = null;

  constructor(
    stored: DeploymentRecord[],
    storedKeys: Iterable<string>,
    /** Of the shas the batch may open, those that reached success here before (deployment-kind.ts). */
    deployedShas: Iterable<string>,
    private readonly now: Date = new Date(),
    /** Told of every decision with the record before it (null for one opened): outbox jobs. */
    private readonly onDecided: (
      before: DeploymentRecord | null,
      signal: Signal,
      decision: Decision,
    ) => void = () => {},
  ) {
    this.keys = new Set(storedKeys);
    this.deployedShas = new Set(deployedShas);
    for (const record of stored) this.track(record);
  }

  hasKey(key: string): boolean {
    return this.keys.has(key);
  }

  active(): DeploymentRecord | null {
    return this.activeId === null ? null : (this.records.get(this.activeId) ?? null);
  }

  apply(id: string, signal: Signal): DeploymentRecord {
    return this.applyDecided(id, signal).record;
  }

  /** As apply, with whether the signal applied (and why not), as LedgerStore.apply answers. */
  applyDecided(
    id: string,
    signal: Signal,
  ): { record: DeploymentRecord; applied: boolean; reason: string | null } {
    const record = this.records.get(id);
    if (!record) throw new Error(`record ${id} is not part of this batch`);
    const decision = decide(record, signal, this.now);
    return { record: this.persist(signal, decision), applied: decision.applied, reason: decision.reason };
  }

  open(
    request: NewDeployment,
    source: SignalSource,
    signal: Signal,
    createdAt: Date,
    opened: { id?: string; at?: Date } = {},
  ): DeploymentRecord {
    const id = opened.id ?? randomUUID();
    const facts = this.kindFacts(request.sha);
    const decision = openRecord(
      { ...request, createdAt },
      facts,
      id,
      source,
      opened.at ?? signal.at,
      this.now,
    );
    this.opened.push(decision.record.id);
    this.openedIds.add(decision.record.id);
    this.keys.add(request.key);
    return this.persist(signal, decision);
  }

  /** As deployment-kind.ts reads them, from the batch's state: history is decided in order. */
  private kindFacts(sha: string): KindFacts {
    let current: DeploymentRecord | null = null;
    for (const id of this.successes) {
      const success = this.records.get(id) as DeploymentRecord;
      if (!current || success.createdAt > current.createdAt) current = success;
    }
    return { currentSha: current?.sha ?? null, deployedBefore: this.deployedShas.has(sha.toLowerCase()) };
  }

  private track(record: DeploymentRecord): void {
    this.records.set(record.id, record);
    if (record.deployedAt !== null) this.deployedShas.add(record.sha.toLowerCase());
    if (record.state === 'success') this.successes.add(record.id);
    else this.successes.delete(record.id);
    if (isActive(record.state)) this.activeId = record.id;
    else if (this.activeId === record.id) this.activeId = null;
  }

  private persist(signal: Signal, decision: Decision): DeploymentRecord {
    let { record } = decision;
    this.onDecided(this.records.get(record.id) ?? null, signal, decision);
    this.track(record);
    if (!this.openedIds.has(record.id)) this.changed.add(record.id);
    this.events.push({ deploymentId: record.id, ...timelineEntry(signal, decision, this.now) });
    for (const effect of decision.effects) {
      if (effect.type === 'deactivate_older_successes')
        record = this.deactivateOlderSuccesses(record, signal);
    }
    return record;
  }

  /** GitHub's auto-inactive (the core's autoInactive), carried out in memory. */
  private deactivateOlderSuccesses(record: DeploymentRecord, signal: Signal): DeploymentRecord {
    const others = [...this.successes]
      .filter((id) => id !== record.id)
      .map((id) => this.records.get(id) as DeploymentRecord)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
    let result = record;
    for (const step of autoInactive(record, others, signal.at)) {
      const retired = this.decideAndPersist(step.record, step.signal);
      if (step.record.id === record.id) result = retired;
    }
    return result;
  }

  private decideAndPersist(record: DeploymentRecord, signal: Signal): DeploymentRecord {
    return this.persist(signal, decide(record, signal, this.now));
  }
}
