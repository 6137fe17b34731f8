import { describe, expect, it } from 'vitest';
import { Arrivals } from '../../server/jobs/arrivals.ts';

describe('Arrivals: the fold waits for the receiver to go quiet', () => {
  it('says quiet at once when nothing was stored, and "a burst goes on" after waiting through one', async () => {
    const arrivals = new Arrivals();
    expect(await arrivals.quiet()).toBe(true);

    // Deliveries stored every 20 ms for longer than the fold ever waits.
    arrivals.noteStored();
    const burst = setInterval(() => arrivals.noteStored(), 20);
    const started = performance.now();
    const quiet = await arrivals.quiet().finally(() => clearInterval(burst));
    expect(quiet).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);

    // Once nothing is stored for a moment, it is quiet again.
    expect(await arrivals.quiet()).toBe(true);
  });
});
