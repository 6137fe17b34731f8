/**
 * Objects a watch event changed lately that no record matched yet. The record may come after its
 * workload (a pipeline that records its deployment after `kubectl apply`, a rollout faster than
 * the Action's first call), so each is looked at again every few seconds for a while, rather
 * than only at the object's next event or the next relist, minutes later. An object a record
 * matched, one deleted, and one quiet for longer than `forMs` are looked at no more.
 */
/** How long an object is looked at again after it last changed. */
export const RECHECK_FOR_MS = 15 * 60_000;

export class Recheck<T> {
  private readonly entries = new Map<string, { item: T; until: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    /** Hands an object back for correlation (the watcher's queue). */
    push: (key: string, item: T) => void,
    everyMs = 5_000,
    private readonly forMs = RECHECK_FOR_MS,
  ) {
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const [key, entry] of this.entries) {
        if (entry.until < now) this.entries.delete(key);
        else push(key, entry.item);
      }
    }, everyMs);
    this.timer.unref();
  }

  /** The object's newest state; `changed`: a watch event changed it (a relist's copy did not). */
  seen(key: string, item: T, changed: boolean): void {
    const entry = this.entries.get(key);
    if (changed) this.entries.set(key, { item, until: Date.now() + this.forMs });
    else if (entry) entry.item = item;
  }

  /** A record matched it, it was deleted, or nothing on it could match one later: no more looks. */
  settled(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
