import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../db/generated/client.ts';
import { claimHook, finishHook, hookStates, renewHook } from '../db/hook-recovery.ts';
import { deliveryLog } from '../github/delivery-log.ts';
import { type HookRef, permissionFor } from '../github/hooks.ts';
import type { GithubClients } from '../github/octokit.ts';
import { classifyGithubError, type GithubFailure } from '../github/rate-limit.ts';
import type { Logger } from '../log.ts';
import { Poller } from './poller.ts';
import { recoverHook } from './recover-hook.ts';
import type { RecoveryReporter } from './recovery-status.ts';

const LEASE_MS = 5 * 60_000;

export interface DeliveryRecoveryDeps {
  prisma: PrismaClient;
  /** Null when neither GITHUB_TOKEN nor App credentials are set. */
  clients: GithubClients | null;
  hooks: HookRef[];
  logger: Logger;
  status: RecoveryReporter;
  /** Told when deliveries were recovered, so the delivery worker folds them in at once. */
  onRecovered: () => void;
}

/**
 * Reads each hook's delivery log at start and every `intervalMs`, and stores the deliveries that
 * never reached the ledger (server/jobs/recover-hook.ts). Once across replicas: a replica reads
 * a hook only under its lease, and only when no replica read it within the interval.
 */
export function startDeliveryRecovery(deps: DeliveryRecoveryDeps, intervalMs: number) {
  const worker = `recovery-${randomUUID().slice(0, 8)}`;
  const configured = new Set(deps.hooks.map((hook) => hook.key));
  let first = true;
  const poller = new Poller(
    async () => {
      const force = first;
      first = false;
      for (const hook of deps.hooks) await runHook(deps, hook, worker, { force, intervalMs });
      // A hook dropped from the configuration keeps its row (and position) but is not shown.
      deps.status.update((await hookStates(deps.prisma)).filter((state) => configured.has(state.hook)));
      return false;
    },
    intervalMs,
    (error) => deps.logger.error({ err: error }, 'delivery recovery tick failed'),
  ).start();
  return { stop: () => poller.stop() };
}

async function runHook(
  deps: DeliveryRecoveryDeps,
  hook: HookRef,
  worker: string,
  options: { force: boolean; intervalMs: number },
): Promise<void> {
  const logger = deps.logger.child({ hook: hook.key });
  if (!deps.clients) {
    const message = `no GitHub credentials: set GITHUB_TOKEN (${permissionFor(hook, 'token')}) or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY`;
    deps.status.problem(hook.key, { kind: 'no_credentials', message });
    if (options.force) logger.error({ error: message }, 'delivery recovery cannot read the hook log');
    return;
  }
  const claimed = await claimHook(deps.prisma, hook.key, worker, {
    leaseMs: LEASE_MS,
    everyMs: options.intervalMs,
    force: options.force,
  });
  if (!claimed) return;
  let recovered = 0;
  try {
    const run = await recoverHook({
      prisma: deps.prisma,
      log: deliveryLog(hook, deps.clients),
      logger,
      position: claimed.position,
      keepGoing: () => renewHook(deps.prisma, hook.key, worker, LEASE_MS),
      onRecovered: (delivery) => {
        recovered++;
        deps.status.recovered(hook.key, delivery.event, delivery.deliveredAt);
      },
    });
    await finishHook(deps.prisma, hook.key, worker, {
      position: run.complete ? run.newest : null,
      recovered,
      error: null,
    });
    deps.status.ran(hook.key, 'ok');
    logger.info(
      { scanned: run.scanned, recovered, complete: run.complete, read_up_to: run.newest?.deliveryId ?? null },
      'hook delivery log read',
    );
  } catch (error) {
    const failure = classifyGithubError(error);
    const message = explain(failure, hook, deps.clients.kind);
    await finishHook(deps.prisma, hook.key, worker, {
      position: null,
      recovered,
      error: {
        kind: failure.kind,
        message,
        retryAt: failure.kind === 'rate_limited' ? failure.retryAt : null,
      },
    }).catch((finishError) => logger.error({ err: finishError }, 'could not record the recovery outcome'));
    deps.status.ran(hook.key, failure.kind);
    logger.error({ error: message, error_kind: failure.kind, recovered }, 'hook delivery log read failed');
  } finally {
    if (recovered > 0) deps.onRecovered();
  }
}

/** What went wrong, and what to do about it. */
function explain(failure: GithubFailure, hook: HookRef, auth: 'token' | 'app'): string {
  switch (failure.kind) {
    case 'rate_limited':
      return `rate limited by GitHub until ${failure.retryAt.toISOString()}; the log is read again then (${failure.message})`;
    case 'unauthorized':
      return `GitHub refused the credentials (401): check GITHUB_TOKEN or the App's key (${failure.message})`;
    case 'forbidden':
    case 'not_found':
      return `GitHub answered ${failure.kind === 'forbidden' ? 403 : 404} for the hook's delivery log: it needs ${permissionFor(hook, auth)}, and the hook id must be right (${failure.message})`;
    default:
      return `GitHub could not be reached or failed; tried again next interval (${failure.message})`;
  }
}
