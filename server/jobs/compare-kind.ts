import { RequestError } from '@octokit/request-error';
import { writeKind } from '../db/deployment-kind.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import type { OutboxJob } from '../db/outbox.ts';
import type { GithubApi } from '../github/client.ts';
import { classifyGithubError } from '../github/rate-limit.ts';
import { DEPLOYMENT_KINDS, type DeploymentKind, type DeploymentRecord, refineKind } from '../ledger/index.ts';
import type { Logger } from '../log.ts';

export const COMPARE_KIND = 'github.compare_kind';

/**
 * A `github.compare_kind` job (ledger/kind.ts compareJobOf): asks GitHub where the record's sha
 * stands against the environment's current sha when the record opened, and stores the kind the
 * core decides from the answer. GitHub refusing the question (an unknown commit, 404 or 422; no
 * access, 403) leaves the database's kind, logged and on the timeline; a rate limit or an outage
 * is thrown, for the outbox to try again later (the database's kind stands meanwhile).
 */
export async function runCompareJob(
  job: OutboxJob,
  record: DeploymentRecord,
  deps: { prisma: PrismaClient; github: GithubApi; store: LedgerStore; logger: Logger },
): Promise<void> {
  const base = String(job.payload.base);
  const head = String(job.payload.head);
  const decided = kindIn(job.payload.kind) ?? record.kind;
  const log = deps.logger.child({ deployment_id: record.id, base, head });
  let status: Awaited<ReturnType<GithubApi['compareCommits']>>;
  try {
    status = await deps.github.compareCommits(record.repository, base, head);
  } catch (error) {
    if (!refused(error)) throw error;
    const reason = `GitHub answered ${error.status}: ${error.message}`;
    log.warn({ kind: decided, reason }, 'compare failed; the kind stays as the database decided');
    await deps.store.note(record.id, 'github', 'kind_compare_failed', { kind: decided, base, head, reason });
    return;
  }
  const kind = refineKind(decided, status);
  if (kind !== record.kind) await writeKind(deps.prisma, record, kind);
  log.info({ compare: status, kind, was: record.kind }, 'kind checked against the commit graph');
  await deps.store.note(record.id, 'github', 'kind_compared', { compare: status, kind, base, head });
}

/**
 * GitHub will give the same answer however often it is asked: not a rate limit (a 403 with
 * Retry-After, a secondary limit's, is one though requests are left), not an outage.
 */
function refused(error: unknown): error is RequestError {
  if (!(error instanceof RequestError)) return false;
  const { kind } = classifyGithubError(error);
  return error.status === 422 || kind === 'not_found' || kind === 'forbidden';
}

function kindIn(value: unknown): DeploymentKind | null {
  return DEPLOYMENT_KINDS.find((kind) => kind === value) ?? null;
}
