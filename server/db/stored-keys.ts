import { LRUCache } from 'lru-cache';
import { foldName } from '../ledger/index.ts';

// The (repository, environment, key) triples this process has seen stored: a create under one of
// them is most likely a replay, so it reads that record by key alone (one light statement) before
// deciding anything. Only a hint of which read to take, never an answer: the answer is the row
// read then. A key stays with its record, but `deployledger repair` may merge or delete records
// (and a rename moves them), so a read that finds no row forgets the key and the create takes
// its full path.

const MAX_KEYS = 10_000;

export class StoredKeys {
  // lru-cache, not a Map kept in recency order: a Map's delete-then-set of one of 10 000 keys cost
  // V8 20 µs (it rehashes the table as the holes fill it), and every replay refreshed its key so —
  // a third of a replay's CPU once creates had filled it; lru-cache takes 0.05 µs.
  private readonly keys = new LRUCache<string, true>({ max: MAX_KEYS });

  has(repository: string, environment: string, key: string): boolean {
    return this.keys.has(tripleOf(repository, environment, key));
  }

  /** A record stored under these names and key (spelled any way: they are folded). */
  saw(repository: string, environment: string, key: string): void {
    this.keys.set(tripleOf(repository, environment, key), true);
  }

  forget(repository: string, environment: string, key: string): void {
    this.keys.delete(tripleOf(repository, environment, key));
  }
}

/** One string per key, its names folded (JSON keeps the parts apart whatever characters they hold). */
export const tripleOf = (repository: string, environment: string, key: string) =>
  JSON.stringify([foldName(repository), foldName(environment), key]);
