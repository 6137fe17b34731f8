import { Backoff, interruptibleSleep } from './backoff.ts';

/**
 * Works through the newest item per key, one at a time per key: a burst of updates to one
 * object collapses into its latest state, updates to one object are never handled out of
 * order, and an item whose handling failed (database down) is retried with backoff unless a
 * newer one replaced it meanwhile — so a failure never loses an observation.
 */
export class LatestPerKey<T> {
  private readonly latest = new Map<string, T>();
  private readonly running = new Set<string>();
  private readonly drains = new Set<Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  private stopped = false;

  constructor(
    private readonly handle: (item: T) => Promise<void>,
    private readonly onError: (key: string, error: unknown, retryInMs: number) => void,
  ) {}

  push(key: string, item: T): void {
    if (this.stopped) return;
    this.latest.set(key, item);
    if (this.running.has(key)) return;
    const drain = this.drain(key).finally(() => this.drains.delete(drain));
    this.drains.add(drain);
  }

  /** Keys with work queued or under way. */
  get pending(): number {
    return new Set([...this.latest.keys(), ...this.running]).size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.sleepers) wake();
    await Promise.allSettled([...this.drains]);
  }

  private async drain(key: string): Promise<void> {
    this.running.add(key);
    const backoff = new Backoff(500, 30_000);
    try {
      while (!this.stopped && this.latest.has(key)) {
        const item = this.latest.get(key) as T;
        this.latest.delete(key);
        try {
          await this.handle(item);
          backoff.reset();
        } catch (error) {
          if (!this.latest.has(key)) this.latest.set(key, item);
          const delay = backoff.next();
          this.onError(key, error, delay);
          const sleep = interruptibleSleep(delay);
          this.sleepers.add(sleep.wake);
          await sleep.done;
          this.sleepers.delete(sleep.wake);
        }
      }
    } finally {
      this.running.delete(key);
    }
  }
}
