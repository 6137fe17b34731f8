import { randomUUID } from 'node:crypto';
import {
  ACTIVE_STATES,
  type Decision,
  type DeploymentRecord,
  foldName,
  type Observation,
  planDeliveryOpening,
  type Signal,
} from '../ledger/index.ts';
import { writeBatch } from './bulk-write.ts';
import { correlateWith, keyFor } from './correlation.ts';
import { environmentWhere, lockEnvironment } from './deployments.ts';
import { EnvironmentBatch } from './environment-batch.ts';
import type { PrismaClient } from './generated/client.ts';
import { toRecord } from './records.ts';
import { respellRepository } from './repository-names.ts';

// Hundreds of decisions in one transaction; it waits behind other writers of the environment.
const TX_OPTIONS = { maxWait: 30_000, timeout: 60_000 };

export interface FoldItem {
  deliveryId: string;
  observation: Observation;
}

export interface Folded {
  deliveryId: string;
  record: DeploymentRecord;
}

/** The batch met something the one-by-one path handles (a rename, a record elsewhere): not written. */
export class NotBatchable extends Error {}

/**
 * Folds deliveries of one (repository, environment), in arrival order, in one transaction that
 * holds the environment's lock: the records they can touch are read once, each observation is
 * correlated (correlation.ts, over the batch) and decided by the core in memory
 * (EnvironmentBatch, with LedgerStore's rules for opening from a delivery), the outcome is
 * written in a few statements (bulk-write.ts), and the deliveries are marked processed in the
 * same transaction, so each is applied exactly once. `observe` hears every decision after commit.
 * Throws NotBatchable (nothing written) when the one-by-one path must take them.
 */
export async function foldDeliveries(
  prisma: PrismaClient,
  items: FoldItem[],
  observe: (signal: Signal, decision: Decision) => void,
): Promise<Folded[]> {
  const first = items[0]?.observation;
  if (!first) return [];
  const sameSpelling = items.every(
    ({ observation: o }) =>
      o.repository === first.repository &&
      o.environment === first.environment &&
      (o.repositoryId ?? null) === (first.repositoryId ?? null),
  );
  if (!sameSpelling) throw new NotBatchable('names spelled differently within the batch');
  // GitHub's own spelling and id first, as LedgerStore.observeDelivery does for each delivery.
  await respellRepository(prisma, first);
  const { repository, environment } = first;
  const repositoryKey = foldName(repository);
  const environmentKey = foldName(environment);
  const observations = items.map((item) => item.observation);
  const keys = [...new Set(observations.map(keyFor))];
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
            githubDeploymentId: { in: observations.map((o) => BigInt(o.githubDeploymentId)) },
          },
          { id: { in: observations.flatMap((o) => (o.marker && isUuid(o.marker) ? [o.marker] : [])) } },
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
    for (const { deliveryId, observation } of items)
      folded.push({ deliveryId, record: await foldOne(batch, observation) });
    await writeBatch(tx, batch);
    await tx.$executeRaw`
      UPDATE webhook_delivery SET processed_at = now(), locked_until = NULL, last_error = NULL
      WHERE delivery_id = ANY(${items.map((item) => item.deliveryId)}::text[])`;
    return { batch, folded };
  }, TX_OPTIONS);
  for (const [signal, decision] of batch.decisions) observe(signal, decision);
  return folded;
}

/** One delivery, as LedgerStore.observeDelivery decides it, against the batch. */
async function foldOne(batch: EnvironmentBatch, observation: Observation): Promise<DeploymentRecord> {
  const signal: Signal = { ...observation.signal, githubDeploymentId: observation.githubDeploymentId };
  const inBatch = [...batch.records.values()];
  const found = await correlateWith(
    {
      byId: async (id) => batch.records.get(id) ?? null,
      byKey: async (key) => inBatch.find((r) => r.key === key) ?? null,
      byGithubId: async (id) => inBatch.find((r) => r.githubDeploymentId === id) ?? null,
    },
    observation,
  );
  if (found) return batch.apply(found.id, signal);
  const opened = { id: randomUUID(), key: keyFor(observation) };
  if (batch.hasKey(opened.key)) throw new NotBatchable(`key ${opened.key} is taken by a record not found`);
  const active = batch.active();
  const plan = planDeliveryOpening(observation, signal, opened, active);
  if (active && plan.supersedeActive) batch.apply(active.id, plan.supersedeActive);
  const record = batch.open(plan.request, 'webhook', plan.opening, observation.createdAt, {
    id: opened.id,
    at: signal.at,
  });
  return plan.then ? batch.apply(record.id, plan.then) : record;
}

function isUuid(value: string): boolean {
  return /^[0-9a-f-]{36}$/i.test(value);
}
