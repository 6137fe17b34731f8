import type { Prisma, PrismaClient } from '../db/generated/client.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import { toRecord } from '../db/records.ts';
import type { Logger } from '../log.ts';
import { ACTIVE, isStuck, type StuckPolicy, stuckAfterMs, timedOutSignal } from '../repair/stuck.ts';
import { Poller } from './poller.ts';

const BATCH = 100;

export interface SweeperDeps {
  prisma: PrismaClient;
  store: LedgerStore;
  logger: Logger;
  policy: StuckPolicy;
}

/**
 * Ends active records past their deadline with `error` (reason `timed_out`). Safe with several
 * replicas: each record is re-read under its environment's lock and swept only if it is still
 * stuck, so a record a producer resolved first, or another replica swept, is left alone.
 */
export function startSweeper(deps: SweeperDeps, intervalMs: number) {
  const poller = new Poller(
    () => sweepOnce(deps),
    intervalMs,
    (error) => deps.logger.error({ err: error }, 'sweep failed'),
  ).start();
  return { stop: () => poller.stop() };
}

/** One pass; true when a full batch was found (more may be waiting). */
export async function sweepOnce({ prisma, store, logger, policy }: SweeperDeps): Promise<boolean> {
  const now = new Date();
  const rows = await prisma.deployment.findMany({
    where: { state: { in: ACTIVE }, OR: pastDeadline(policy, now) },
    orderBy: { createdAt: 'asc' },
    take: BATCH,
  });
  for (const candidate of rows.map(toRecord).filter((record) => isStuck(policy, record, now))) {
    const swept = await store.withEnvironment(candidate.repository, candidate.environment, async (ledger) => {
      const fresh = await ledger.tx.deployment.findUnique({ where: { id: candidate.id } });
      if (!fresh || !isStuck(policy, toRecord(fresh), new Date())) return null;
      return ledger.apply(candidate.id, timedOutSignal('sweeper', policy, toRecord(fresh), new Date()));
    });
    if (swept?.applied) {
      logger.warn(
        { deployment_id: candidate.id, environment: candidate.environment, state_was: candidate.state },
        'stuck deployment timed out',
      );
    }
  }
  return rows.length === BATCH;
}

/** Per environment: created before now minus its deadline (the overrides, then the default). */
function pastDeadline(policy: StuckPolicy, now: Date): Prisma.DeploymentWhereInput[] {
  const before = (environment: string) => new Date(now.getTime() - stuckAfterMs(policy, environment));
  const overridden = Object.keys(policy.byEnvironment);
  return [
    ...overridden.map((environment) => ({ environment, createdAt: { lt: before(environment) } })),
    {
      environment: { notIn: overridden },
      createdAt: { lt: new Date(now.getTime() - policy.defaultSeconds * 1000) },
    },
  ];
}
