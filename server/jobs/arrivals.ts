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

  /**
   * Resolves once nothing was stored for QUIET_MS (true), or after MAX_WAIT_MS of a burst that
   * goes on (false).
   */
  async quiet(): Promise<boolean> {
    const started = performance.now();
    for (;;) {
      const now = performance.now();
      const quietIn = QUIET_MS - (now - this.last);
      if (quietIn <= 0) return true;
      const givingUpIn = MAX_WAIT_MS - (now - started);
      if (givingUpIn <= 0) return false;
      await sleep(Math.min(quietIn, givingUpIn));
    }
  }
}
