import { randomUUID } from 'node:crypto';
import { backoff } from '../backoff.ts';
import { claimDeliveries, DELIVERIES, type StoredDelivery } from '../db/deliveries.ts';
import { type Folded, type FoldItem, foldDeliveries, NotBatchable } from '../db/delivery-batch.ts';
import type { SqlRunner } from '../db/deployment-sql.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import type { DecisionListener, LedgerStore } from '../db/ledger-store.ts';
import { complete, release, retry } from '../db/queue.ts';
import { DomainError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type ProtectionReceiver, receive } from '../webhooks/receive.ts';
import { type FoldStep, planFolding } from './delivery-plan.ts';
import { keepLeases } from './leases.ts';
import { Poller } from './poller.ts';

const BATCH = 500;
/**
 * A claim taken while deliveries keep arriving (Arrivals.quiet gave up waiting): folding a full
 * one holds the event loop for tens of milliseconds, which every answer in flight then waits
 * for. During a burst the fold takes this much a turn, and the full claims once it has passed.
 */
const BURST_BATCH = 100;
/**
 * The longest a stored delivery waits for its fold while deliveries keep coming: a burst is
 * acknowledged first, but under a steady stream that never leaves the receiver quiet (a large
 * organization's every workflow run) claims of BURST_BATCH a second would fall behind for as long
 * as the stream lasts. Once the oldest delivery claimed has waited this long, the fold stops
 * waiting for quiet and takes full claims until it has caught up.
 */
const MAX_LAG_MS = 10_000;
const LEASE_MS = 60_000;
/** Claims of one delivery before it is left, undone, as a dead letter (docs/operations.md). */
export const DELIVERY_MAX_ATTEMPTS = 10;
/** Repositories folded at once: enough to keep the pool busy, few enough to leave room for requests. */
const LANES = 4;

export interface DeliveryWorkerDeps {
  prisma: PrismaClient;
  sql: SqlRunner;
  store: LedgerStore;
  logger: Logger;
  /** The store's listener: told of every decision a batch made, after it commits. */
  onDecision: DecisionListener;
  protection?: ProtectionReceiver;
  /**
   * Resolves when the receiver leaves room to fold (Arrivals.quiet): true once it went quiet,
   * false when a burst goes on; at once when absent.
   */
  quiet?: () => Promise<boolean>;
}

/**
 * Processes stored GitHub deliveries; safe with several replicas (claims are leased rows). A
 * claim takes up to BATCH deliveries in one statement; the runs of `deployment` and
 * `deployment_status` deliveries of all its environments are folded in one transaction
 * (server/db/delivery-batch.ts); anything a batch cannot take goes one by one through the store.
 */
export function startDeliveryWorker(deps: DeliveryWorkerDeps, intervalMs = 2000, leaseMs = LEASE_MS) {
  const worker = `deliveries-${randomUUID().slice(0, 8)}`;
  const leases = keepLeases(deps.sql, DELIVERIES, worker, leaseMs, deps.logger);
  let behind = false;
  const claimNext = async () => {
    const limit = behind || (await deps.quiet?.()) !== false ? BATCH : BURST_BATCH;
    const deliveries = await claimDeliveries(deps.sql, {
      worker,
      limit,
      leaseMs,
      maxAttempts: DELIVERY_MAX_ATTEMPTS,
    });
    const ids = deliveries.map((d) => d.deliveryId);
    leases.hold(ids);
    // Claimed oldest first: the first one claimed for the first time (not a retry) says how far
    // behind the fold is.
    behind = (deliveries.find((d) => d.attempts === 1)?.waitedMs ?? 0) > MAX_LAG_MS;
    return { full: deliveries.length === limit, ids, lanes: planFolding(deliveries) };
  };
  // After a full claim the next one is claimed (and checked) while this one folds: the database
  // works on the claim while the server decides, and the other way round. The next claim is
  // folded only after this one, so each record still sees its deliveries in arrival order.
  let next: ReturnType<typeof claimNext> | null = null;
  const poller = new Poller(
    async () => {
      const pending = next;
      next = null;
      const claimed = await (pending ?? claimNext());
      if (claimed.full) {
        next = claimNext();
        next.catch(() => {}); // its error is met by the tick that awaits it
      }
      try {
        await foldClaim(deps, claimed.lanes);
      } finally {
        leases.drop(claimed.ids);
      }
      return claimed.full;
    },
    intervalMs,
    (error) => deps.logger.error({ err: error }, 'delivery worker tick failed'),
  );
  poller.start();
  return {
    kick: () => poller.kick(),
    async stop() {
      await poller.stop();
      await next?.catch(() => {});
      leases.stop();
      await release(deps.sql, DELIVERIES, worker);
    },
  };
}

/**
 * Runs each repository's steps in order: the groups every repository has next (up to its next
 * delivery taken on its own) are folded together in one transaction, then each repository's
 * deliveries taken on their own, repositories side by side; and again until none is left.
 */
async function foldClaim(deps: DeliveryWorkerDeps, lanes: FoldStep[][]): Promise<void> {
  for (;;) {
    const groups = lanes.flatMap((lane) => takeWhile(lane, (step) => step.kind === 'batch'));
    await foldGroups(deps, groups as Array<FoldStep & { kind: 'batch' }>);
    const alone = lanes
      .map((lane) => takeWhile(lane, (step) => step.kind === 'one'))
      .filter((steps) => steps.length > 0);
    if (groups.length === 0 && alone.length === 0) return;
    const next = () => alone.shift();
    await Promise.all(
      Array.from({ length: Math.min(LANES, alone.length) }, async () => {
        for (let steps = next(); steps; steps = next())
          for (const step of steps) if (step.kind === 'one') await processOne(deps, step.delivery);
      }),
    );
  }
}

/** Removes and returns the steps at the head of `lane` that `test` holds for. */
function takeWhile(lane: FoldStep[], test: (step: FoldStep) => boolean): FoldStep[] {
  const end = lane.findIndex((step) => !test(step));
  return lane.splice(0, end === -1 ? lane.length : end);
}

/** Groups of several environments in one transaction; when that cannot be, each on its own. */
async function foldGroups(
  deps: DeliveryWorkerDeps,
  groups: Array<FoldStep & { kind: 'batch' }>,
): Promise<void> {
  if (groups.length === 0) return;
  try {
    logFolded(deps, await fold(deps, groups));
    return;
  } catch (error) {
    if (groups.length > 1) {
      deps.logger.info({ err: error, groups: groups.length }, 'deliveries folded environment by environment');
      for (const group of groups) await foldGroups(deps, [group]);
      return;
    }
    // Nothing of the batch was written: each delivery takes the one-by-one path and its handling.
    const log = { err: error, deliveries: groups[0]?.items.length };
    if (error instanceof NotBatchable) deps.logger.info(log, 'deliveries folded one by one');
    else deps.logger.warn(log, 'batch of deliveries failed; folding them one by one');
  }
  for (const delivery of groups[0]?.deliveries ?? []) await processOne(deps, delivery);
}

function fold(deps: DeliveryWorkerDeps, groups: Array<{ items: FoldItem[] }>) {
  const items = groups.map((group) => group.items);
  return foldDeliveries(deps.prisma, items, deps.onDecision, (decision) => deps.store.jobsOf(decision));
}

function logFolded(deps: DeliveryWorkerDeps, folded: Folded[]): void {
  for (const { deliveryId, record } of folded)
    deps.logger.info({ delivery_id: deliveryId, deployment_id: record.id }, 'delivery applied');
}

async function processOne(deps: DeliveryWorkerDeps, delivery: StoredDelivery): Promise<void> {
  const { sql } = deps;
  const log = deps.logger.child({ delivery_id: delivery.deliveryId, event: delivery.event });
  try {
    const outcome = await receive(deps.store, delivery, deps.protection);
    await complete(sql, DELIVERIES, [delivery.deliveryId]);
    for (const id of outcome.deploymentIds) log.info({ deployment_id: id }, 'delivery applied');
    if (outcome.ignored) log.info({ ignored: outcome.ignored }, 'delivery ignored');
  } catch (error) {
    if (error instanceof DomainError && error.refusal !== 'unavailable') {
      // A payload we cannot read will not get better on retry: keep it, with the reason.
      await complete(sql, DELIVERIES, [delivery.deliveryId], error.detail);
      log.warn({ error: error.detail }, 'delivery payload not understood; kept, not applied');
      return;
    }
    const retryIn = backoff(delivery.attempts);
    await retry(
      sql,
      DELIVERIES,
      delivery.deliveryId,
      (error as Error).message,
      new Date(Date.now() + retryIn),
    ).catch(() => {});
    if (delivery.attempts >= DELIVERY_MAX_ATTEMPTS) {
      log.error(
        { err: error, attempts: delivery.attempts },
        'delivery given up after its last attempt: kept, not applied, as a dead letter (see docs/operations.md)',
      );
    } else log.error({ err: error, retry_in_ms: retryIn }, 'delivery processing failed; will retry');
  }
}
