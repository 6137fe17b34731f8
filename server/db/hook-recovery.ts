import { Prisma, type PrismaClient } from './generated/client.ts';
import { LEASE_FREE } from './queue.ts';

/** How far a hook's delivery log has been read: its newest delivery handled. */
export interface LogPosition {
  deliveryId: number;
  deliveredAt: Date;
}

/** One hook's row of `github_hook_recovery`, as /readyz and the metrics show it. */
export interface HookRecoveryState {
  hook: string;
  position: LogPosition | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  succeededAt: Date | null;
  retryAt: Date | null;
  errorKind: string | null;
  lastError: string | null;
  recoveredTotal: number;
  lastRecoveredAt: Date | null;
  running: boolean;
}

/**
 * Takes the hook's lease for `leaseMs` if no replica holds it, the hook is not waiting out a
 * rate limit, and (unless `force`) its last run started at least `everyMs` ago — so across
 * replicas the log is read once per interval. Returns the position to read from, or false.
 */
export async function claimHook(
  prisma: PrismaClient,
  hook: string,
  worker: string,
  options: { leaseMs: number; everyMs: number; force: boolean },
): Promise<{ position: LogPosition | null } | false> {
  await prisma.$executeRaw`INSERT INTO github_hook_recovery (hook) VALUES (${hook}) ON CONFLICT (hook) DO NOTHING`;
  const rows = await prisma.$queryRaw<
    Array<{ last_delivery_id: bigint | null; last_delivered_at: Date | null }>
  >`
    UPDATE github_hook_recovery
    SET locked_by = ${worker}, locked_until = now() + make_interval(secs => ${options.leaseMs / 1000}),
        started_at = now()
    WHERE hook = ${hook}
      AND (${Prisma.raw(LEASE_FREE)} OR locked_by = ${worker})
      AND (run_at IS NULL OR run_at <= now())
      AND (${options.force} OR started_at IS NULL
           OR started_at <= now() - make_interval(secs => ${(options.everyMs * 0.9) / 1000}))
    RETURNING last_delivery_id, last_delivered_at`;
  const row = rows[0];
  if (!row) return false;
  return {
    position:
      row.last_delivery_id !== null && row.last_delivered_at
        ? { deliveryId: Number(row.last_delivery_id), deliveredAt: row.last_delivered_at }
        : null,
  };
}

/** Extends the lease while a long read goes on; false when another replica took it over. */
export async function renewHook(prisma: PrismaClient, hook: string, worker: string, leaseMs: number) {
  const renewed = await prisma.$executeRaw`
    UPDATE github_hook_recovery SET locked_until = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE hook = ${hook} AND locked_by = ${worker}`;
  return renewed === 1;
}

/** Ends a run: the new position when it read everything, the outcome, and the lease released. */
export async function finishHook(
  prisma: PrismaClient,
  hook: string,
  worker: string,
  outcome: {
    position: LogPosition | null;
    recovered: number;
    error: { kind: string; message: string; retryAt: Date | null } | null;
  },
): Promise<void> {
  const { position, recovered, error } = outcome;
  await prisma.$executeRaw`
    UPDATE github_hook_recovery SET
      last_delivery_id = COALESCE(${position?.deliveryId ?? null}::bigint, last_delivery_id),
      last_delivered_at = COALESCE(${position?.deliveredAt ?? null}::timestamptz, last_delivered_at),
      recovered_total = recovered_total + ${recovered},
      last_recovered_at = CASE WHEN ${recovered} > 0 THEN now() ELSE last_recovered_at END,
      finished_at = now(),
      succeeded_at = CASE WHEN ${error === null} THEN now() ELSE succeeded_at END,
      error_kind = ${error?.kind ?? null},
      last_error = ${error?.message.slice(0, 2000) ?? null},
      run_at = ${error?.retryAt ?? null}::timestamptz,
      locked_by = NULL, locked_until = NULL
    WHERE hook = ${hook} AND locked_by = ${worker}`;
}

/** Every hook's state, for /readyz and the metrics on any replica. */
export async function hookStates(prisma: PrismaClient): Promise<HookRecoveryState[]> {
  const rows = await prisma.githubHookRecovery.findMany({ orderBy: { hook: 'asc' } });
  const now = Date.now();
  return rows.map((row) => ({
    hook: row.hook,
    position:
      row.lastDeliveryId !== null && row.lastDeliveredAt
        ? { deliveryId: Number(row.lastDeliveryId), deliveredAt: row.lastDeliveredAt }
        : null,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    succeededAt: row.succeededAt,
    retryAt: row.runAt,
    errorKind: row.errorKind,
    lastError: row.lastError,
    recoveredTotal: Number(row.recoveredTotal),
    lastRecoveredAt: row.lastRecoveredAt,
    running: row.lockedUntil !== null && row.lockedUntil.getTime() > now,
  }));
}

/** Which of these delivery ids the server has stored (received or recovered). */
export async function storedDeliveryIds(prisma: PrismaClient, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await prisma.webhookDelivery.findMany({
    where: { deliveryId: { in: ids } },
    select: { deliveryId: true },
  });
  return new Set(rows.map((row) => row.deliveryId));
}
