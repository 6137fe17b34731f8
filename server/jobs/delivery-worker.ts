import { backoff } from '../backoff.ts';
import { claimDeliveries, failDelivery, finishDelivery } from '../db/deliveries.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import { DomainError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type ProtectionReceiver, receive } from '../webhooks/receive.ts';
import { Poller } from './poller.ts';

const BATCH = 20;
const LEASE_MS = 60_000;
const MAX_ATTEMPTS = 10;

/** Processes stored GitHub deliveries; safe with several replicas (claims are leased rows). */
export function startDeliveryWorker(
  deps: { prisma: PrismaClient; store: LedgerStore; logger: Logger; protection?: ProtectionReceiver },
  intervalMs = 2000,
) {
  const { prisma, store, logger } = deps;
  const poller = new Poller(
    async () => {
      const deliveries = await claimDeliveries(prisma, BATCH, LEASE_MS, MAX_ATTEMPTS);
      for (const delivery of deliveries) {
        const log = logger.child({ delivery_id: delivery.deliveryId, event: delivery.event });
        try {
          const outcome = await receive(store, delivery, deps.protection);
          await finishDelivery(prisma, delivery.deliveryId);
          for (const id of outcome.deploymentIds) log.info({ deployment_id: id }, 'delivery applied');
          if (outcome.ignored) log.info({ ignored: outcome.ignored }, 'delivery ignored');
        } catch (error) {
          if (error instanceof DomainError && error.refusal !== 'unavailable') {
            // A payload we cannot read will not get better on retry: keep it, with the reason.
            await finishDelivery(prisma, delivery.deliveryId);
            await failDelivery(prisma, delivery.deliveryId, error.detail, 0);
            log.warn({ error: error.detail }, 'delivery payload not understood; kept, not applied');
            continue;
          }
          const retryIn = backoff(delivery.attempts);
          await failDelivery(prisma, delivery.deliveryId, (error as Error).message, retryIn).catch(() => {});
          log.error({ err: error, retry_in_ms: retryIn }, 'delivery processing failed; will retry');
        }
      }
      return deliveries.length === BATCH;
    },
    intervalMs,
    (error) => logger.error({ err: error }, 'delivery worker tick failed'),
  );
  return poller.start();
}
