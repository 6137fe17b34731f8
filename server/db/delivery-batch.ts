import { randomUUID } from 'node:crypto';
import {
  type Decision,
  type DeliveredDeployment,
  type DeploymentRecord,
  deliveryKey,
  foldName,
  type GithubSyncJob,
  githubDeploymentAfter,
  openFromDelivery,
  type Signal,
} from '../ledger/index.ts';
import { writeInBatch } from './batch-writer.ts';
import { DELIVERIES } from './deliveries.ts';
import { correlateWith } from './delivery-correlation.ts';
import { respellDelivered } from './delivery-names.ts';
import type { EnvironmentBatch } from './environment-batch.ts';
import { type DecisionListener, environmentLockName } from './environment-lock.ts';
import type { PrismaClient } from './generated/client.ts';
import { completeSql } from './queue.ts';

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
 * Folds groups of deliveries — each of one (repository, environment), in arrival order — in one
 * transaction of the batch writer (batch-writer.ts), which holds every group's environment lock
 * and reads the records they can touch once: each delivery is correlated
 * (delivery-correlation.ts, over its environment's batch) and decided by the core in memory (with
 * the core's rule for opening from a delivery), and the deliveries are marked done in the same
 * transaction, so each is applied exactly once. `onDecision` hears every decision after commit;
 * `jobsOf` says which GitHub jobs a decision queues (the store's, e.g. a rollback's compare).
 * Throws NotBatchable (nothing written) when the one-by-one path must take one of them.
 */
export async function foldDeliveries(
  prisma: PrismaClient,
  groups: FoldItem[][],
  onDecision: DecisionListener,
  jobsOf: (decision: Decision) => GithubSyncJob[] = () => [],
): Promise<Folded[]> {
  const scopes = groups.filter((items) => items.length > 0).map(groupScope);
  if (scopes.length === 0) return [];
  await respellDelivered(
    prisma,
    scopes.map((g) => g.first),
  );
  const delivered = scopes.flatMap((g) => g.items.map((item) => item.delivered));
  const scope = {
    environments: scopes.map((g) => g.first),
    keys: scopes.flatMap(({ first: { repository, environment }, items }) =>
      [...new Set(items.map((item) => deliveryKey(item.delivered)))].map((key) => ({
        repository,
        environment,
        key,
      })),
    ),
    githubIds: delivered.map((o) => ({ repository: o.repository, githubDeploymentId: o.githubDeploymentId })),
    ids: [...new Set(scopes.flatMap((g) => [...g.markers]))],
    opening: delivered.map((o) => ({ repository: o.repository, environment: o.environment, sha: o.sha })),
  };
  const { result, decisions } = await writeInBatch(
    prisma,
    scope,
    async (ledgers) => {
      for (const g of scopes)
        if (ledgers.outside.length || ledgers.all.some((record) => g.namesElsewhere(record)))
          throw new NotBatchable('a delivery names a record of another environment');
      const folded: Folded[] = [];
      for (const g of scopes) {
        const batch = ledgers.of(g.first);
        for (const { deliveryId, delivered } of g.items)
          folded.push({ deliveryId, record: await foldOne(batch, delivered) });
      }
      return folded;
    },
    {
      jobsOf,
      alsoWrite: (sql) =>
        sql.query(completeSql(DELIVERIES), [
          scopes.flatMap((g) => g.items.map((item) => item.deliveryId)),
          null,
        ]),
    },
  );
  for (const [signal, decision] of decisions) onDecision(signal, decision);
  return result;
}

/** One group's names, the records its deliveries name, and whether a record read lies elsewhere. */
function groupScope(items: FoldItem[]) {
  const first = (items[0] as FoldItem).delivered;
  const sameSpelling = items.every(
    ({ delivered: o }) =>
      o.repository === first.repository &&
      o.environment === first.environment &&
      (o.repositoryId ?? null) === (first.repositoryId ?? null),
  );
  if (!sameSpelling) throw new NotBatchable('names spelled differently within the batch');
  const markers = new Set(
    items.flatMap(({ delivered: o }) => (o.marker && isUuid(o.marker) ? [o.marker] : [])),
  );
  const githubIds = new Set(items.map(({ delivered: o }) => o.githubDeploymentId));
  const here = environmentLockName(first.repository, first.environment);
  const repositoryKey = foldName(first.repository);
  return {
    first,
    items,
    markers,
    /** A record this group's deliveries name (by marker or GitHub id) that is in another environment. */
    namesElsewhere: (record: DeploymentRecord) =>
      environmentLockName(record.repository, record.environment) !== here &&
      (markers.has(record.id) ||
        (record.githubDeploymentId !== null &&
          githubIds.has(record.githubDeploymentId) &&
          foldName(record.repository) === repositoryKey)),
  };
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
