import { type Delivery, send } from './deliveries.ts';

export interface DeliveryCounts {
  sent: number;
  /** Answers ≥ 500 or connections that failed: GitHub shows these as failed deliveries. */
  failed: number;
  /** Sends of a delivery id that had been sent before (after a failure, or on purpose). */
  redelivered: number;
}

export interface Deliverer {
  counts: DeliveryCounts;
  /**
   * Sends `d` to one of the replicas until one stores it (a failed delivery is redelivered, as
   * an operator or a redelivery job does), then redelivers it `extra` more times on purpose.
   */
  deliver(d: Delivery, extra?: number): Promise<void>;
}

/** Sends signed deliveries to whichever replicas `targets()` names, redelivering failures. */
export function createDeliverer(options: {
  targets: () => string[];
  secret: string;
  /** Picks a replica index in [0, n). */
  pick?: (n: number) => number;
  /** How long to keep redelivering a delivery that fails, in ms. */
  giveUpAfterMs?: number;
}): Deliverer {
  const counts: DeliveryCounts = { sent: 0, failed: 0, redelivered: 0 };
  const pick = options.pick ?? ((n: number) => Math.floor(Math.random() * n));
  async function once(d: Delivery, again: boolean): Promise<number> {
    const targets = options.targets();
    const target = targets[pick(targets.length)];
    counts.sent++;
    if (again) counts.redelivered++;
    if (!target) return 0;
    try {
      return (await send(target, options.secret, d)).status;
    } catch {
      return 0;
    }
  }
  return {
    counts,
    async deliver(d, extra = 0) {
      const deadline = Date.now() + (options.giveUpAfterMs ?? 60_000);
      let status = await once(d, false);
      while (status === 0 || status >= 500) {
        counts.failed++;
        if (Date.now() > deadline)
          throw new Error(`delivery ${d.id} (${d.event}) was never accepted; last answer ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        status = await once(d, true);
      }
      if (status !== 200 && status !== 202)
        throw new Error(`delivery ${d.id} (${d.event}) answered ${status}, expected 202 or 200`);
      for (let i = 0; i < extra; i++) {
        const again = await once(d, true);
        if (again !== 200 && again < 500 && again !== 0)
          throw new Error(`redelivery of ${d.id} answered ${again}, expected 200 (duplicate)`);
      }
    },
  };
}
