import { foldName } from '../ledger/index.ts';

// The (repository, environment, key) triples this process has seen stored: a create under one of
// them is most likely a replay, so it reads that record by key alone (one light statement) before
// deciding anything. Only a hint of which read to take, never an answer: the answer is the row
// read then. A key stays with its record, but `deployledger repair` may merge or delete records
// (and a rename moves them), so a read that finds no row forgets the key and the create takes
// its full path.

const MAX_KEYS = 10_000;

export class StoredKeys {
  // Least recently stored first (a Map keeps insertion order): a plain Map costs a create a
  // fraction of what lru-cache's bookkeeping did, and a hint needs no more.
  private readonly keys = new Map<string, true>();

  has(repository: string, environment: string, key: string): boolean {
    return this.keys.has(tripleOf(repository, environment, key));
  }

  /** A record stored under these names and key (spelled any way: they are folded). */
  saw(repository: string, environment: string, key: string): void {
    const triple = tripleOf(repository, environment, key);
    this.keys.delete(triple);
    this.keys.set(triple, true);
    if (this.keys.size > MAX_KEYS) this.keys.delete(this.keys.keys().next().value as string);
  }

  forget(repository: string, environment: string, key: string): void {
    this.keys.delete(tripleOf(repository, environment, key));
  }
}

/** One string per key, its names folded (JSON keeps the parts apart whatever characters they hold). */
export const tripleOf = (repository: string, environment: string, key: string) =>
  JSON.stringify([foldName(repository), foldName(environment), key]);
