import { randomUUID } from 'node:crypto';
import {
  ACTIVE_STATES,
  type Decision,
  type DeliveredDeployment,
  type DeploymentRecord,
  deliveryKey,
  foldName,
  githubDeploymentAfter,
  openFromDelivery,
  type Signal,
} from '../ledger/index.ts';
import { writeBatch } from './bulk-write.ts';
import { correlateWith } from './delivery-correlation.ts';
import { environmentWhere } from './deployments.ts';
import { EnvironmentBatch } from './environment-batch.ts';
import { type DecisionListener, lockEnvironment } from './environment-lock.ts';
import type { PrismaClient } from './generated/client.ts';
import { toRecord } from './records.ts';
import { respellRepository } from './repository-names.ts';

// Hundreds of decisions in one transaction; it waits behind other writers of the environment.
const TX_OPTIONS = { maxWait: 30_000, timeout: 60_000 };

export interface FoldItem {
  deliveryId: string;
  delivered: DeliveredDeployment;
}

export interface Folded {
  deliveryId: string;
  record: DeploymentRecord;
}

/** The batch met something the one-by-one path handles (a rename, a record elsewhere): not written. */
export class NotBatchable extends Error {}

/**
 * Folds deliveries of one (repository, environment), in arrival order, in one transaction that
 * holds the environment's lock: the records they can touch are read once, each delivery is
 * correlated (correlation.ts, over the batch) and decided by the core in memory
 * (EnvironmentBatch, with LedgerStore's rules for opening from a delivery), the outcome is
 * written in a few statements (bulk-write.ts), and the deliveries are marked processed in the
 * same transaction, so each is applied exactly once. `onDecision` hears every decision after commit.
 * Throws NotBatchable (nothing written) when the one-by-one path must take them.
 */
export async function foldDeliveries(
  prisma: PrismaClient,
  items: FoldItem[],
  onDecision: DecisionListener,
): Promise<Folded[]> {
  const first = items[0]?.delivered;
  if (!first) return [];
  const sameSpelling = items.every(
    ({ delivered: o }) =>
      o.repository === first.repository &&
      o.environment === first.environment &&
      (o.repositoryId ?? null) === (first.repositoryId ?? null),
  );
  if (!sameSpelling) throw new NotBatchable('names spelled differently within the batch');
  // GitHub's own spelling and id first, as LedgerStore.applyDelivery does for each delivery.
  await respellRepository(prisma, first);
  const { repository, environment } = first;
  const repositoryKey = foldName(repository);
  const environmentKey = foldName(environment);
  const delivered = items.map((item) => item.delivered);
  const keys = [...new Set(delivered.map(deliveryKey))];
  const { batch, folded } = await prisma.$transaction(async (tx) => {
    await lockEnvironment(tx, repository, environment);
    const rows = await tx.deployment.findMany({
      where: {
        OR: [
          {
            ...environmentWhere(repository, environment),
            OR: [{ state: { in: [...ACTIVE_STATES, 'success'] } }, { key: { in: keys } }],
          },
          {
            repositoryKey,
            githubDeploymentId: { in: delivered.map((o) => BigInt(o.githubDeploymentId)) },
          },
          { id: { in: delivered.flatMap((o) => (o.marker && isUuid(o.marker) ? [o.marker] : [])) } },
        ],
      },
    });
    const records = rows.map(toRecord);
    if (
      records.some(
        (r) => foldName(r.repository) !== repositoryKey || foldName(r.environment) !== environmentKey,
      )
    )
      throw new NotBatchable('a delivery names a record of another environment');
    const batch = new EnvironmentBatch(
      records,
      records.map((r) => r.key),
    );
    const folded: Folded[] = [];
    for (const { deliveryId, delivered } of items)
      folded.push({ deliveryId, record: await foldOne(batch, delivered) });
    await writeBatch(tx, batch);
    await tx.$executeRaw`
      UPDATE webhook_delivery SET processed_at = now(), locked_until = NULL, last_error = NULL
      WHERE delivery_id = ANY(${items.map((item) => item.deliveryId)}::text[])`;
    return { batch, folded };
  }, TX_OPTIONS);
  for (const [signal, decision] of batch.decisions) onDecision(signal, decision);
  return folded;
}

/** One delivery, as LedgerStore.applyDelivery decides it, against the batch. */
async function foldOne(batch: EnvironmentBatch, delivered: DeliveredDeployment): Promise<DeploymentRecord> {
  const signal: Signal = { ...delivered.signal, githubDeploymentId: delivered.githubDeploymentId };
  const inBatch = [...batch.records.values()];
  const found = await correlateWith(
    {
      byId: async (id) => batch.records.get(id) ?? null,
      byKey: async (key) => inBatch.find((r) => r.key === key) ?? null,
      byGithubId: async (id) => inBatch.find((r) => r.githubDeploymentId === id) ?? null,
    },
    delivered,
  );
  if (found) {
    // Replacing our GitHub deployment queues a call to GitHub, which only the one-by-one path does.
    if (githubDeploymentAfter(found, signal).replaced !== null)
      throw new NotBatchable('adopts a job deployment over ours');
    return batch.apply(found.id, signal);
  }
  const id = randomUUID();
  const key = deliveryKey(delivered);
  if (batch.hasKey(key)) throw new NotBatchable(`key ${key} is taken by a record not found`);
  const plan = openFromDelivery(delivered, signal, batch.active(), id);
  if (plan.supersede) batch.apply(plan.supersede.record.id, plan.supersede.signal);
  const record = batch.open(plan.request, 'webhook', plan.opening, delivered.createdAt, {
    id,
    at: signal.at,
  });
  return plan.afterwards ? batch.apply(record.id, plan.afterwards) : record;
}

function isUuid(value: string): boolean {
  return /^[0-9a-f-]{36}$/i.test(value);
}
