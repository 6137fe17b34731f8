import { randomUUID } from 'node:crypto';
import { RequestError } from '@octokit/request-error';
import { backoff } from '../backoff.ts';
import type { SqlRunner } from '../db/deployment-sql.ts';
import { findById } from '../db/deployments.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import { claimJobs, OUTBOX, type OutboxJob } from '../db/outbox.ts';
import { complete, release, retry } from '../db/queue.ts';
import type { GithubApi } from '../github/client.ts';
import type { ProtectionReviewer } from '../github/protection.ts';
import { classifyGithubError } from '../github/rate-limit.ts';
import type { Logger } from '../log.ts';
import {
  REVIEW_KIND,
  reviewLogContext,
  reviewRecordId,
  runProtectionReview,
} from '../protection/review-job.ts';
import { COMPARE_KIND, runCompareJob } from './compare-kind.ts';
import { runGithubJob } from './github-sync.ts';
import { keepLeases } from './leases.ts';
import { Poller } from './poller.ts';

const BATCH = 10;
const LEASE_MS = 60_000;
/**
 * A call GitHub could not take (a 5xx, a timeout, the network, a rate limit) is tried again for
 * a day from when it was queued, however many attempts that takes, so an outage of GitHub or of
 * the way out to it loses no deployment and no status; one GitHub refuses (a 4xx) is given up at once.
 */
const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;

export interface OutboxWorkerDeps {
  prisma: PrismaClient;
  sql: SqlRunner;
  store: LedgerStore;
  github: GithubApi;
  /** Answers deployment protection rule requests (github.review_protection jobs). */
  protection?: ProtectionReviewer;
  logger: Logger;
  retryBaseMs?: number;
}

/** Works the outbox: GitHub calls, in order per deployment, retried until they go through. */
export function startOutboxWorker(deps: OutboxWorkerDeps, intervalMs = 1000) {
  const worker = `outbox-${randomUUID().slice(0, 8)}`;
  const leases = keepLeases(deps.sql, OUTBOX, worker, LEASE_MS, deps.logger);
  const poller = new Poller(
    async () => {
      const jobs = await claimJobs(deps.sql, { worker, limit: BATCH, leaseMs: LEASE_MS });
      leases.hold(jobs.map((job) => job.id));
      await Promise.all(jobs.map((job) => work(deps, job).finally(() => leases.drop([job.id]))));
      return jobs.length > 0;
    },
    intervalMs,
    (error) => deps.logger.error({ err: error }, 'outbox tick failed'),
  ).start();
  return {
    kick: () => poller.kick(),
    async stop() {
      await poller.stop();
      leases.stop();
      await release(deps.sql, OUTBOX, worker);
    },
  };
}

async function work(deps: OutboxWorkerDeps, job: OutboxJob): Promise<void> {
  const isReview = job.kind === REVIEW_KIND;
  const log = deps.logger.child({
    ...(isReview ? reviewLogContext(job) : { deployment_id: job.deploymentId }),
    job_id: Number(job.id),
    kind: job.kind,
  });
  const record = job.deploymentId ? await findById(deps.prisma, job.deploymentId) : null;
  if (!record && !isReview) {
    await complete(deps.sql, OUTBOX, [job.id]);
    return;
  }
  const noteOn = record?.id ?? (isReview ? reviewRecordId(job) : null);
  try {
    if (isReview) await runProtectionReview(job, deps.protection, deps.store);
    else if (record && job.kind === COMPARE_KIND) await runCompareJob(job, record, { ...deps, logger: log });
    else if (record) await runGithubJob(job, record, deps.github, deps.store);
    await complete(deps.sql, OUTBOX, [job.id]);
    log.info({ attempts: job.attempts }, 'github call done');
  } catch (error) {
    const retryAt = retryTime(error, job.attempts, deps.retryBaseMs);
    const message = describe(error);
    if (retryAt === null || retryAt.getTime() - job.createdAt.getTime() > GIVE_UP_AFTER_MS) {
      await complete(deps.sql, OUTBOX, [job.id], message);
      if (noteOn)
        await deps.store.note(noteOn, 'github', 'github_call_failed', { kind: job.kind, error: message });
      log.error({ error: message, attempts: job.attempts }, 'github call failed for good');
      return;
    }
    await retry(deps.sql, OUTBOX, job.id, message, retryAt);
    log.warn(
      { error: message, attempts: job.attempts, retry_at: retryAt.toISOString() },
      'github call failed; will retry',
    );
  }
}

/**
 * When to try again, or null when trying again cannot help (a 4xx other than rate limits). Rate
 * limits are read as everywhere we call GitHub (classifyGithubError): `Retry-After`, the primary
 * limit's reset, or a minute for a secondary limit GitHub names without either.
 */
function retryTime(error: unknown, attempts: number, baseMs = 1000): Date | null {
  const failure = classifyGithubError(error);
  if (failure.kind === 'rate_limited') return failure.retryAt;
  if (!(error instanceof RequestError) || error.status >= 500 || error.status === 408)
    return new Date(Date.now() + backoff(attempts, baseMs));
  return null;
}

function describe(error: unknown): string {
  const message = (error as Error).message ?? String(error);
  if (/Resource not accessible by integration/i.test(message)) {
    return `${message} — the token or GitHub App needs the "deployments: write" permission on this repository.`;
  }
  return message;
}
