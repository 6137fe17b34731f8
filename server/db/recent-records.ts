import { LRUCache } from 'lru-cache';
import type { DeploymentRecord } from '../ledger/index.ts';
import type { VersionedRecord } from './deployment-sql.ts';
import { StoredKeys } from './stored-keys.ts';

// Records as this process last wrote or read them, with their row version: a status report
// decides on one instead of reading it first, and its conditional write (version = N) refuses
// the decision when another writer (another replica, a locked path) changed the record since;
// it is then read and decided again. Never an answer by itself: GET reads the database.

export class RecentRecords {
  private readonly records = new LRUCache<string, VersionedRecord>({ max: 5_000, ttl: 60_000 });
  /** The keys of the records remembered here (and kept longer): a create under one is a replay. */
  readonly keys = new StoredKeys();

  get(id: string): VersionedRecord | undefined {
    return this.records.get(id);
  }

  /** Forgets the records (not the keys): the next write to one reads it first, as after 60 s. */
  clear(): void {
    this.records.clear();
  }

  /** The record as it was just read or written at `version`. */
  remember(record: DeploymentRecord, version: number): void {
    this.records.set(record.id, { record, version });
    this.keys.saw(record.repository, record.environment, record.key);
  }
}
