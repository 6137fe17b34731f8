import { setTimeout as sleep } from 'node:timers/promises';
import { countUnfolded } from '../db/deliveries.ts';
import type { SqlRunner } from '../db/deployment-sql.ts';
import { findById } from '../db/deployments.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import { findStuckCandidates } from '../db/stuck-candidates.ts';
import type { DeploymentRecord } from '../ledger/index.ts';
import { isStuck, type StuckPolicy, stuckAfterMs, timedOutSignal } from '../ledger/index.ts';
import type { Logger } from '../log.ts';
import { Poller } from './poller.ts';
import type { ReconcileAnswer, Reconciler } from './reconciler.ts';

const BATCH = 100;
/** While GitHub cannot be asked (outage, rate limit), a stuck record waits this long past its deadline. */
const UNREACHABLE_GRACE_MS = 15 * 60_000;
/** How long a sweep waits for the deliveries stored before it began to be folded. */
const INBOX_WAIT_MS = 10_000;
const INBOX_POLL_MS = 200;
/**
 * Deliveries stored longer ago than this do not hold a sweep back (a fold that is down must not
 * keep stuck records from ending), nor do those claimed this many times: a delivery that failed
 * twice is likely to fail again, and its backoff outlasts the wait.
 */
const INBOX_STALE_MS = 15 * 60_000;
const INBOX_HOLDING_ATTEMPTS = 3;

export interface SweeperDeps {
  prisma: PrismaClient;
  store: LedgerStore;
  /** Reads the delivery inbox: a sweep waits for what GitHub has already sent (see inboxFolded). */
  sql: SqlRunner;
  logger: Logger;
  policy: StuckPolicy;
  /** Asks GitHub how a stuck record ended before it is timed out; null without GitHub credentials. */
  reconciler?: Reconciler | null;
}

/**
 * Ends active records past their deadline: as GitHub says they ended when it knows (the
 * reconciler: source `reconcile`), else with `error` (reason `timed_out`). Safe with several
 * replicas: each record is re-read under its environment's lock and swept only if it is still
 * stuck, so a record a producer resolved first, or another replica swept, is left alone.
 */
export function startSweeper(deps: SweeperDeps, intervalMs: number) {
  const stopping = new AbortController();
  const poller = new Poller(
    () => sweepOnce(deps, stopping.signal),
    intervalMs,
    (error) => deps.logger.error({ err: error }, 'sweep failed'),
  ).start();
  return {
    stop: () => {
      stopping.abort();
      return poller.stop();
    },
  };
}

/** One pass; true when a full batch was found and some of it ended (more may be waiting). */
async function sweepOnce(
  { prisma, sql, store, logger, policy, reconciler }: SweeperDeps,
  signal: AbortSignal,
): Promise<boolean> {
  const waiting = await inboxFolded(sql, signal);
  if (waiting > 0) {
    logger.info(
      { waiting },
      'sweep postponed: deliveries GitHub sent before it are not folded yet, and may end the records it would time out',
    );
    return false;
  }
  const now = new Date();
  const rows = await findStuckCandidates(prisma, policy, now, BATCH);
  let ended = 0;
  for (const candidate of rows.filter((record) => isStuck(policy, record, now))) {
    const log = logger.child({ deployment_id: candidate.id, environment: candidate.environment });
    // Asked outside the environment's lock: GitHub's answer may take a while.
    const answer = reconciler ? await reconciler.ask(candidate) : null;
    if (answer?.kind === 'unreachable' && !pastGrace(policy, candidate, now)) {
      log.warn(
        { error: answer.failure.message, error_kind: answer.failure.kind },
        'GitHub could not be asked about a stuck deployment; asking again on the next sweep',
      );
      continue;
    }
    const swept = await store.inEnvironment(candidate.repository, candidate.environment, async (ledger) => {
      const fresh = await findById(ledger.tx, candidate.id);
      if (!fresh || !isStuck(policy, fresh, new Date())) return null;
      return ledger.apply(candidate.id, endingSignal(policy, fresh, answer));
    });
    if (!swept?.applied) continue;
    ended++;
    if (answer?.kind === 'final') {
      log.info(
        { state_was: candidate.state, state: swept.record.state, reason: answer.signal.reason },
        'stuck deployment reconciled with GitHub',
      );
    } else {
      log.warn({ state_was: candidate.state }, 'stuck deployment timed out');
    }
  }
  return rows.length === BATCH && ended > 0;
}

/**
 * Waits up to INBOX_WAIT_MS for the deliveries stored before the sweep began (on the database's
 * clock, which stamped them) to be folded, and resolves to how many still wait. A stuck record's
 * end may be among them (a backlog after a restart, a burst): timed out first, the record would
 * stay `error` though GitHub said it succeeded, and GitHub sends each delivery once. Deliveries
 * stored after the sweep began do not count, so a steady stream does not hold it.
 */
async function inboxFolded(sql: SqlRunner, signal: AbortSignal): Promise<number> {
  const giveUpAt = Date.now() + INBOX_WAIT_MS;
  let untilMs: number | null = null;
  for (;;) {
    const counted = await countUnfolded(sql, {
      untilMs,
      staleAfterMs: INBOX_STALE_MS,
      maxAttempts: INBOX_HOLDING_ATTEMPTS,
    });
    untilMs = counted.untilMs;
    if (counted.waiting === 0 || Date.now() >= giveUpAt || signal.aborted) return counted.waiting;
    await sleep(INBOX_POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}

/** GitHub's final answer as is; otherwise timed_out, saying what GitHub was asked and answered. */
function endingSignal(policy: StuckPolicy, record: DeploymentRecord, answer: ReconcileAnswer | null) {
  if (answer?.kind === 'final') return answer.signal;
  const reconcile =
    answer === null
      ? undefined
      : answer.kind === 'unreachable'
        ? { asked: answer.asked, unreachable: answer.failure.message }
        : { asked: answer.asked, final: false };
  return timedOutSignal('sweeper', policy, record, new Date(), reconcile ? { reconcile } : {});
}

function pastGrace(policy: StuckPolicy, record: DeploymentRecord, now: Date): boolean {
  return (
    now.getTime() - record.createdAt.getTime() >
    stuckAfterMs(policy, record.environment) + UNREACHABLE_GRACE_MS
  );
}
