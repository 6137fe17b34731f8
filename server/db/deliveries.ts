import type { SqlRunner } from './deployment-sql.ts';
import type { PrismaClient } from './generated/client.ts';

export interface StoredDelivery {
  deliveryId: string;
  event: string;
  action: string | null;
  payload: unknown;
  attempts: number;
}

/** Stores a delivery once; a redelivery of the same `X-GitHub-Delivery` is reported as such. */
export async function storeDelivery(
  prisma: PrismaClient,
  delivery: { deliveryId: string; event: string; action: string | null; payload: string },
): Promise<'stored' | 'duplicate'> {
  const inserted = await prisma.$executeRaw`
    INSERT INTO webhook_delivery (delivery_id, event, action, payload)
    VALUES (${delivery.deliveryId}, ${delivery.event}, ${delivery.action}, ${delivery.payload}::jsonb)
    ON CONFLICT (delivery_id) DO NOTHING`;
  return inserted === 1 ? 'stored' : 'duplicate';
}

/**
 * Stores a delivery that can never be applied (its payload holds text the database cannot
 * store), already finished and with the reason, so it is kept for inspection and never claimed.
 */
export async function storeUnprocessableDelivery(
  prisma: PrismaClient,
  delivery: { deliveryId: string; event: string; action: string | null; payload: string; reason: string },
): Promise<'stored' | 'duplicate'> {
  const inserted = await prisma.$executeRaw`
    INSERT INTO webhook_delivery (delivery_id, event, action, payload, processed_at, last_error)
    VALUES (${delivery.deliveryId}, ${delivery.event}, ${delivery.action}, ${delivery.payload}::jsonb,
            now(), ${delivery.reason.slice(0, 2000)})
    ON CONFLICT (delivery_id) DO NOTHING`;
  return inserted === 1 ? 'stored' : 'duplicate';
}

/**
 * Claims up to `limit` unprocessed deliveries for `leaseMs`, oldest first, in one statement:
 * rows another worker holds are skipped, and a claim whose worker died expires. Returned in the
 * order GitHub's deliveries arrived.
 */
export async function claimDeliveries(
  sql: SqlRunner,
  limit: number,
  leaseMs: number,
  maxAttempts: number,
): Promise<StoredDelivery[]> {
  const rows = await sql.query<{
    delivery_id: string;
    event: string;
    action: string | null;
    payload: unknown;
    attempts: number;
  }>(
    `WITH claimed AS (
       UPDATE webhook_delivery SET locked_until = now() + make_interval(secs => $1), attempts = attempts + 1
       WHERE delivery_id IN (
         SELECT delivery_id FROM webhook_delivery
         WHERE processed_at IS NULL AND attempts < $2 AND (locked_until IS NULL OR locked_until < now())
         ORDER BY received_at
         LIMIT $3
         FOR UPDATE SKIP LOCKED)
       RETURNING delivery_id, event, action, payload, attempts, received_at)
     SELECT delivery_id, event, action, payload, attempts FROM claimed ORDER BY received_at, delivery_id`,
    [leaseMs / 1000, maxAttempts, limit],
  );
  return rows.map((row) => ({
    deliveryId: row.delivery_id,
    event: row.event,
    action: row.action,
    payload: row.payload,
    attempts: row.attempts,
  }));
}

export async function finishDelivery(prisma: PrismaClient, deliveryId: string): Promise<void> {
  await prisma.webhookDelivery.update({
    where: { deliveryId },
    data: { processedAt: new Date(), lockedUntil: null, lastError: null },
  });
}

/** Leaves a delivery for a later attempt, not before `retryInMs`. */
export async function failDelivery(
  prisma: PrismaClient,
  deliveryId: string,
  error: string,
  retryInMs: number,
) {
  await prisma.webhookDelivery.update({
    where: { deliveryId },
    data: { lastError: error.slice(0, 2000), lockedUntil: new Date(Date.now() + retryInMs) },
  });
}
