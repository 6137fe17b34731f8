import { storeDelivery, storeUnprocessableDelivery } from '../db/deliveries.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { type LogPosition, storedDeliveryIds } from '../db/hook-recovery.ts';
import { type DeliveryLog, failed, type LoggedDelivery } from '../github/delivery-log.ts';
import { checkBudget } from '../github/rate-limit.ts';
import type { Logger } from '../log.ts';
import { USED_EVENTS } from '../webhooks/receive.ts';
import { findIllFormed, replaceIllFormed } from '../well-formed.ts';

/**
 * Read again this far before the stored position: a delivery GitHub logged a little out of
 * order (a slow attempt) is not skipped. Deliveries already stored cost one lookup, nothing more.
 */
export const OVERLAP_MS = 10 * 60_000;

export interface RecoveredDelivery {
  guid: string;
  event: string;
  action: string | null;
  deliveredAt: Date;
  /** What GitHub logged for the attempt that did not reach the ledger. */
  status: string;
  statusCode: number;
}

export interface HookRun {
  recovered: RecoveredDelivery[];
  /** The newest delivery in the log: the next run reads back to here. */
  newest: LogPosition | null;
  scanned: number;
  /** Read down to the position (or the log's end): the position may move to `newest`. */
  complete: boolean;
}

/**
 * Reads the hook's log newest first down to (a little before) `position`, and stores every
 * delivery of an event the ledger uses whose delivery id (`guid`) was never stored: fetched from
 * GitHub with its payload (over our authenticated call: no signature needed) and stored as if
 * received, so the delivery worker folds it in like any other. Stored deliveries are never
 * stored twice (the delivery id is the key), whether they came live, by redelivery or by an
 * earlier recovery. Throws when GitHub refuses; RateLimited when its limit is used up.
 */
export async function recoverHook(deps: {
  prisma: PrismaClient;
  log: DeliveryLog;
  logger: Logger;
  position: LogPosition | null;
  /** Called after each page: keeps the lease; false stops the run (another replica took over). */
  keepGoing: () => Promise<boolean>;
  onRecovered: (delivery: RecoveredDelivery) => void;
}): Promise<HookRun> {
  const { prisma, log, logger, position } = deps;
  const cutoff = position ? position.deliveredAt.getTime() - OVERLAP_MS : Number.NEGATIVE_INFINITY;
  const run: HookRun = { recovered: [], newest: null, scanned: 0, complete: false };
  const seen = new Set<string>();
  for await (const page of log.pages()) {
    const entries = page.deliveries;
    for (const entry of entries) {
      if (!run.newest || entry.id > run.newest.deliveryId)
        run.newest = { deliveryId: entry.id, deliveredAt: entry.deliveredAt };
    }
    const fresh = entries.filter((entry) => entry.deliveredAt.getTime() >= cutoff);
    run.scanned += fresh.length;
    const wanted = firstOfEach(
      fresh.filter((entry) => USED_EVENTS.has(entry.event) && !seen.has(entry.guid)),
    );
    for (const entry of wanted) seen.add(entry.guid);
    const stored = await storedDeliveryIds(
      prisma,
      wanted.map((entry) => entry.guid),
    );
    checkBudget(page.headers);
    for (const entry of wanted.filter((candidate) => !stored.has(candidate.guid))) {
      const { delivery, headers } = await log.get(entry.id);
      const { guid, event } = entry;
      if (delivery.payload === null || typeof delivery.payload !== 'object') {
        logger.warn(
          { hook: log.hook.key, delivery_id: guid, event, github_delivery_id: entry.id },
          'delivery in the hook log has no payload; it cannot be recovered (redeliver it from GitHub)',
        );
        checkBudget(headers);
        continue;
      }
      const outcome = await storeAsReceived(prisma, {
        deliveryId: guid,
        event,
        action: delivery.action,
        payload: delivery.payload,
        logger,
      });
      if (outcome === 'stored') {
        const recovered = {
          guid,
          event,
          action: delivery.action,
          deliveredAt: entry.deliveredAt,
          status: entry.status,
          statusCode: entry.statusCode,
        };
        run.recovered.push(recovered);
        deps.onRecovered(recovered);
        logger.info(
          {
            hook: log.hook.key,
            delivery_id: guid,
            event,
            action: delivery.action,
            github_delivery_id: entry.id,
            delivered_at: entry.deliveredAt.toISOString(),
            github_status: entry.status,
            github_status_code: entry.statusCode,
            failed_at_github: failed(entry),
          },
          'delivery recovered from the hook log',
        );
      }
      checkBudget(headers);
    }
    if (fresh.length < entries.length) {
      run.complete = true;
      return run;
    }
    if (!(await deps.keepGoing())) return run;
  }
  run.complete = true;
  return run;
}

/** Several log entries share a guid (a delivery and its redeliveries): one of each, the newest. */
function firstOfEach(entries: LoggedDelivery[]): LoggedDelivery[] {
  const byGuid = new Map<string, LoggedDelivery>();
  for (const entry of entries) if (!byGuid.has(entry.guid)) byGuid.set(entry.guid, entry);
  return [...byGuid.values()];
}

/**
 * Stores a fetched delivery as the receiver does (server/http/webhooks.ts): as it came, or, when
 * its text cannot be stored (a NUL byte, a lone surrogate), as a readable copy already finished
 * with the reason — never a poison entry that would fail every later read of the log.
 */
async function storeAsReceived(
  prisma: PrismaClient,
  delivery: { deliveryId: string; event: string; action: string | null; payload: object; logger: Logger },
): Promise<'stored' | 'duplicate'> {
  const { deliveryId, event, action, payload } = delivery;
  const unstorable = findIllFormed(payload);
  if (unstorable.length === 0) {
    return storeDelivery(prisma, { deliveryId, event, action, payload: JSON.stringify(payload) });
  }
  const reason = `unprocessable: ${unstorable.map((issue) => `${issue.field} ${issue.message}`).join('; ')}`;
  delivery.logger.warn(
    { delivery_id: deliveryId, event, errors: unstorable },
    'recovered delivery kept as unprocessable; not applied',
  );
  return storeUnprocessableDelivery(prisma, {
    deliveryId,
    event,
    action: action === null ? null : (replaceIllFormed(action) as string),
    payload: JSON.stringify(replaceIllFormed(payload)),
    reason,
  });
}
