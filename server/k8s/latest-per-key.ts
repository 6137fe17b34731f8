import { Backoff, interruptibleSleep } from './backoff.ts';

/** Handles a batch (key → its newest item); resolves the keys whose handling failed, with why. */
export type BatchHandler<T> = (batch: Map<string, T>) => Promise<Map<string, unknown>>;

interface Retry {
  at: number;
  backoff: Backoff;
}

/**
 * Works through the newest item per key, in batches: while a batch is being handled, later items
 * for a key replace its earlier ones (a burst of updates to one object collapses into its latest
 * state), and the next batch takes everything that piled up meanwhile. One batch at a time, so
 * updates to one object are never handled out of order. An item whose handling failed (database
 * down) is retried with backoff, per key, unless a newer one replaced it meanwhile — so a failure
 * never loses an observation, and one object that keeps failing does not hold up the others.
 */
export class LatestPerKey<T> {
  private readonly latest = new Map<string, T>();
  private readonly retries = new Map<string, Retry>();
  private inFlight: ReadonlySet<string> = new Set();
  private running: Promise<void> | null = null;
  private wakeIdle: () => void = () => {};
  private stopped = false;

  constructor(
    private readonly handle: BatchHandler<T>,
    /** Once a round per distinct error, with the keys it failed. */
    private readonly onError: (keys: string[], error: unknown, retryInMs: number) => void,
    private readonly maxBatch = 1000,
  ) {}

  push(key: string, item: T): void {
    if (this.stopped) return;
    this.latest.set(key, item);
    this.wakeIdle();
    this.ensureRunning();
  }

  /** Keys with work queued or under way. */
  get pending(): number {
    let count = this.latest.size;
    for (const key of this.inFlight) if (!this.latest.has(key)) count++;
    return count;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeIdle();
    await this.running;
  }

  private ensureRunning(): void {
    if (this.running || this.stopped) return;
    this.running = this.run().finally(() => {
      this.running = null;
      // An item pushed while the loop was ending.
      if (this.latest.size > 0) this.ensureRunning();
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.latest.size > 0) {
      const batch = this.takeReady();
      if (batch.size === 0) {
        await this.idle(this.nextRetryAt() - Date.now());
        continue;
      }
      this.inFlight = new Set(batch.keys());
      let failures: Map<string, unknown>;
      try {
        failures = await this.handle(batch);
      } catch (error) {
        failures = new Map([...batch.keys()].map((key) => [key, error]));
      }
      this.inFlight = new Set();
      this.settle(batch, failures);
    }
  }

  /** The items whose key is not waiting for a retry, oldest first, at most maxBatch. */
  private takeReady(): Map<string, T> {
    const now = Date.now();
    const batch = new Map<string, T>();
    for (const [key, item] of this.latest) {
      if (batch.size >= this.maxBatch) break;
      if ((this.retries.get(key)?.at ?? 0) > now) continue;
      batch.set(key, item);
    }
    for (const key of batch.keys()) this.latest.delete(key);
    return batch;
  }

  private settle(batch: Map<string, T>, failures: Map<string, unknown>): void {
    const failed: string[] = [];
    for (const [key, item] of batch) {
      if (!failures.has(key)) {
        this.retries.delete(key);
        continue;
      }
      if (!this.latest.has(key)) this.latest.set(key, item);
      failed.push(key);
    }
    if (failed.length === 0) return;
    // Keys that failed together (a database that went away fails them all) retry together, after
    // the longest wait any of them is due: one batch and one report a round, not one per key.
    const retries = failed.map((key) => {
      const retry = this.retries.get(key) ?? { at: 0, backoff: new Backoff(500, 30_000) };
      this.retries.set(key, retry);
      return retry;
    });
    const delay = Math.max(...retries.map((retry) => retry.backoff.next()));
    // One instant for all: read per key, a clock tick mid-loop would split them into two batches.
    const at = Date.now() + delay;
    for (const retry of retries) retry.at = at;
    const byError = new Map<string, { error: unknown; keys: string[] }>();
    for (const key of failed) {
      const error = failures.get(key);
      const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const group = byError.get(why) ?? { error, keys: [] };
      group.keys.push(key);
      byError.set(why, group);
    }
    for (const { error, keys } of byError.values()) this.onError(keys, error, delay);
  }

  private nextRetryAt(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const key of this.latest.keys()) next = Math.min(next, this.retries.get(key)?.at ?? 0);
    return next;
  }

  /** Waits until a retry is due or a new item arrives (or stop). */
  private async idle(ms: number): Promise<void> {
    const sleep = interruptibleSleep(Math.max(0, Math.min(ms, 60_000)));
    this.wakeIdle = sleep.wake;
    await sleep.done;
    this.wakeIdle = () => {};
  }
}
