import { LRUCache } from 'lru-cache';
import type { DeploymentRecord, KindFacts } from '../ledger/index.ts';
import { environmentLockName } from './environment-lock.ts';

// The kind facts a create's decision assumes before its one statement reads them under the
// environment's lock: that statement writes only if they hold and answers the facts it read
// otherwise (conditional-writes.ts). What this process last saw of each environment's current
// deployment makes the guess; a wrong one costs a round trip, never a wrong kind.

export class KindFactsGuess {
  // null is "never succeeded", as the facts say; a missing entry is "not seen".
  private readonly current = new LRUCache<string, { sha: string | null }>({ max: 10_000 });

  guess(repository: string, environment: string, sha: string): KindFacts {
    const known = this.current.get(environmentLockName(repository, environment))?.sha ?? null;
    // The current deployment succeeded, so its sha was deployed before.
    return { currentSha: known, deployedBefore: known !== null && known.toLowerCase() === sha.toLowerCase() };
  }

  /** The facts a statement read: the environment's current deployment as of then. */
  saw(repository: string, environment: string, facts: KindFacts): void {
    this.current.set(environmentLockName(repository, environment), { sha: facts.currentSha });
  }

  /** A decision stored here: a record in success is its environment's current deployment. */
  decided(record: DeploymentRecord): void {
    if (record.state !== 'success') return;
    this.current.set(environmentLockName(record.repository, record.environment), { sha: record.sha });
  }
}
