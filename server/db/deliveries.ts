import type { SqlRunner } from './deployment-sql.ts';
import type { PrismaClient } from './generated/client.ts';
import { type ClaimOptions, claim, type QueueTable } from './queue.ts';

export interface StoredDelivery {
  deliveryId: string;
  event: string;
  action: string | null;
  payload: unknown;
  attempts: number;
  /** How long it had waited since it was stored when it was claimed (the database's clock). */
  waitedMs: number;
}

/** Stores a delivery once; a redelivery of the same `X-GitHub-Delivery` is reported as such. */
export async function storeDelivery(
  prisma: PrismaClient,
  delivery: { deliveryId: string; event: string; action: string | null; payload: string },
): Promise<'stored' | 'duplicate'> {
  const inserted = await prisma.$executeRaw`
    INSERT INTO webhook_delivery (delivery_id, event, action, payload)
    VALUES (${delivery.deliveryId}, ${delivery.event}, ${delivery.action}, ${delivery.payload})
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
    INSERT INTO webhook_delivery (delivery_id, event, action, payload, done_at, last_error)
    VALUES (${delivery.deliveryId}, ${delivery.event}, ${delivery.action}, ${delivery.payload},
            now(), ${delivery.reason.slice(0, 2000)})
    ON CONFLICT (delivery_id) DO NOTHING`;
  return inserted === 1 ? 'stored' : 'duplicate';
}

/** Stored deliveries as a queue (queue.ts), claimed in the order GitHub's deliveries arrived. */
export const DELIVERIES: QueueTable = {
  table: 'webhook_delivery',
  id: 'delivery_id',
  idType: 'text',
  order: 'received_at, delivery_id',
  returning:
    'delivery_id, event, action, payload, attempts, received_at, ' +
    '(extract(epoch FROM clock_timestamp() - received_at) * 1000)::float8 AS waited_ms',
};

/** Claims deliveries not done (queue.ts claim), oldest first. */
export async function claimDeliveries(sql: SqlRunner, options: ClaimOptions): Promise<StoredDelivery[]> {
  const rows = await claim<{
    delivery_id: string;
    event: string;
    action: string | null;
    payload: string;
    attempts: number;
    waited_ms: number;
  }>(sql, DELIVERIES, options);
  return rows.map((row) => ({
    deliveryId: row.delivery_id,
    event: row.event,
    action: row.action,
    payload: parsePayload(row.payload),
    attempts: row.attempts,
    waitedMs: row.waited_ms,
  }));
}

/**
 * A stored body, parsed. Every body was parsed as JSON before it was stored; should one not parse
 * now, it reaches the handlers as a string, which they refuse as a payload they cannot read.
 */
function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * How many deliveries are still to be folded among those stored up to `untilMs` (ms since the
 * epoch on the database's clock; its now() when null) and less than `staleAfterMs` before it,
 * claimed fewer than `maxAttempts` times; and that instant, to ask again about the same ones.
 */
export async function countUnfolded(
  sql: SqlRunner,
  options: { untilMs: number | null; staleAfterMs: number; maxAttempts: number },
): Promise<{ waiting: number; untilMs: number }> {
  const [row] = await sql.query<{ waiting: number; until_ms: number }>(
    `WITH t AS (SELECT COALESCE(to_timestamp($1::float8 / 1000), now()) AS until)
     SELECT (SELECT count(*)::int FROM webhook_delivery
              WHERE done_at IS NULL AND attempts < $3::int AND received_at <= t.until
                AND received_at > t.until - make_interval(secs => $2::float8 / 1000)) AS waiting,
            (extract(epoch FROM t.until) * 1000)::float8 AS until_ms
     FROM t`,
    [options.untilMs, options.staleAfterMs, options.maxAttempts],
  );
  if (!row) throw new Error('countUnfolded: no row');
  return { waiting: row.waiting, untilMs: row.until_ms };
}
