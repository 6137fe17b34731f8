import { setTimeout as sleep } from 'node:timers/promises';

/** How long the receiver must have stored nothing before the worker folds. */
const QUIET_MS = 100;
/** The longest the worker waits for that: during a long burst it still folds a claim this often. */
const MAX_WAIT_MS = 1_000;

/**
 * When deliveries were last stored. The delivery worker folds once the receiver has been quiet
 * for a moment (or has waited MAX_WAIT_MS): a burst is verified, stored and acknowledged first,
 * on the same cores and database, and folded afterwards in full claims. What was acknowledged is
 * stored, so folding it a moment later loses nothing.
 */
export class Arrivals {
  private last = Number.NEGATIVE_INFINITY;

  noteStored(): void {
    this.last = performance.now();
  }

  /** Resolves once nothing was stored for QUIET_MS, or after MAX_WAIT_MS. */
  async quiet(): Promise<void> {
    const started = performance.now();
    for (;;) {
      const now = performance.now();
      const wait = Math.min(QUIET_MS - (now - this.last), MAX_WAIT_MS - (now - started));
      if (wait <= 0) return;
      await sleep(wait);
    }
  }
}
