import { randomUUID } from 'node:crypto';
import {
  type Decision,
  type DeploymentRecord,
  decide,
  type GithubSyncJob,
  type KindFacts,
  type NewDeployment,
  openingSignal,
  openRecord,
  planCreate,
  type Signal,
  type SignalSource,
} from '../ledger/index.ts';
import type { KeyReader } from './batched-key-reads.ts';
import type { Updater } from './batched-updates.ts';
import { type CreateReading, readById, readForCreate } from './conditional-writes.ts';
import type { SqlRunner, VersionedRecord } from './deployment-sql.ts';
import type { DecisionListener } from './environment-lock.ts';
import { ACTIVE_INDEX, isUniqueViolation } from './errors.ts';
import type { Appender } from './event-appends.ts';
import type { KindFactsGuess } from './kind-guess.ts';
import { answerExisting, type CreateResult, retiresOthers, type SignalResult } from './ledger-results.ts';
import type { Opener } from './open-batcher.ts';
import type { RecentRecords } from './recent-records.ts';
import { timelineEntry } from './timeline.ts';

// The common cases in one read and one conditional write each (no transaction held across round
// trips). Whenever more needs deciding they answer null or 'locked' and the store takes its
// locked path, which decides the same way.

export interface FastPathDeps {
  sql: SqlRunner;
  jobsOf: (decision: Decision) => GithubSyncJob[];
  onDecision: DecisionListener;
  /** The kind facts a create assumes until its statement reads them under the lock. */
  kindGuess: KindFactsGuess;
  recent: RecentRecords;
  /** openUnlessTaken, its statement shared with the creates that arrive meanwhile (open-batcher.ts). */
  open: Opener;
  /** updateDecided, its statement shared with the status reports that arrive meanwhile (batched-updates.ts). */
  update: Updater;
  /** appendEvents, for a decision that leaves its record as it was (event-appends.ts). */
  append: Appender;
  /** readByKey, its statement shared with the replays that arrive meanwhile (batched-key-reads.ts). */
  readKey: KeyReader;
}

/**
 * Opens a record or answers a replay, when nothing else needs deciding (no supersede, no
 * respelling, no auto-inactive). The core decides as if the environment held nothing under the key
 * and nothing active, with the kind facts last seen there, and one statement writes that decision
 * only if so (openUnlessTaken); otherwise it is decided again on the facts that statement read, or
 * on its reading. Null: take the locked path.
 */
export async function createAtOnce(
  deps: FastPathDeps,
  request: NewDeployment & { supersede: boolean },
  source: SignalSource,
  at: Date,
): Promise<CreateResult | null> {
  if (request.repositoryId != null) return null; // a repository id may rename records: locked path
  const replay = await replayAtOnce(deps, request);
  if (replay) return replay;
  const { repository, environment, sha } = request;
  const id = randomUUID();
  const signal = openingSignal(request, source, at);
  let facts = deps.kindGuess.guess(repository, environment, sha);
  // Facts can change between attempts only when a success lands in the environment meanwhile.
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = new Date();
    const decision = openRecord(request, facts, id, source, at, now);
    if (retiresOthers(decision)) {
      return answerReading(
        deps,
        request,
        await readForCreate(deps.sql, repository, environment, request.key),
      );
    }
    const event = timelineEntry(signal, decision, now);
    const outcome = await deps.open({
      record: decision.record,
      assumed: facts,
      event,
      jobs: deps.jobsOf(decision),
    });
    if (outcome.facts) deps.kindGuess.saw(repository, environment, outcome.facts);
    if (outcome.written) {
      deps.recent.remember(decision.record, 0); // a new row's version
      deps.onDecision(signal, decision);
      return { kind: 'created', record: decision.record };
    }
    // Other facts than assumed: something landed while the statement waited for the lock, and
    // its reading (taken when it began) may be stale too. Decide again and ask afresh.
    if (outcome.facts && !sameFacts(outcome.facts, facts)) {
      facts = outcome.facts;
      continue;
    }
    // Not written on the facts assumed: a record under the key or an active one stood in the way.
    // A reading with the key's record answers (a replay); one without it was taken before the
    // statement waited for the lock and may show neither what stopped the write nor what is active
    // now (a retry of this request may have landed meanwhile): answer on a reading taken now.
    const reading = outcome.reading.byKey
      ? outcome.reading
      : await readForCreate(deps.sql, repository, environment, request.key);
    return answerReading(deps, request, reading);
  }
  return null;
}

const sameFacts = (a: KindFacts, b: KindFacts) =>
  a.currentSha === b.currentSha && a.deployedBefore === b.deployedBefore;

/**
 * A create under a key this process saw stored: the record stored under it now, read by key
 * alone (with the other replays waiting then), answers it as answerReading would (no opening decided, no write). Null: the full path
 * (the key is not known here, its record is gone, or it is a delivery's record to adopt).
 */
async function replayAtOnce(deps: FastPathDeps, request: NewDeployment): Promise<CreateResult | null> {
  const { repository, environment, key } = request;
  const { keys } = deps.recent;
  if (!keys.has(repository, environment, key)) return null;
  const stored = await deps.readKey(repository, environment, key);
  if (!stored) {
    keys.forget(repository, environment, key); // merged or deleted (repair), or renamed
    return null;
  }
  deps.recent.remember(stored.record, stored.version);
  return stored.record.fingerprint === null ? null : answerExisting(request, stored.record);
}

/** What a create's reading answers at once (a replay, a busy environment); null: the locked path. */
function answerReading(
  deps: FastPathDeps,
  request: NewDeployment & { supersede: boolean },
  { byKey, active, newest }: CreateReading,
): CreateResult | null {
  if (byKey) deps.recent.remember(byKey.record, byKey.version); // the next replay reads it alone
  // A replay answers what is stored: a retried request is no news about how names are spelled.
  if (byKey && byKey.record.fingerprint !== null) return answerExisting(request, byKey.record);
  const respelled =
    newest &&
    (newest.record.repository !== request.repository || newest.record.environment !== request.environment);
  if (respelled) return null;
  const plan = planCreate(request, byKey?.record ?? null, active?.record ?? null);
  return plan.kind === 'environment_busy' ? plan : null;
}

/** A signal decided and written in one conditional statement; null: no such record. */
export async function applyAtOnce(
  deps: FastPathDeps,
  id: string,
  signal: Signal,
  /** The record as the caller read it (or recalled it): the first attempt decides on it. */
  known?: VersionedRecord,
  /** Told each record read here before it is decided on; throws to refuse (nothing is written). */
  accept?: (record: DeploymentRecord) => void,
): Promise<SignalResult | null | 'locked'> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const fresh = attempt > 0 || !known;
    const read = fresh ? await readById(deps.sql, id) : known;
    if (!read) return null;
    if (fresh) accept?.(read.record);
    const now = new Date();
    const decision = decide(read.record, signal, now);
    if (retiresOthers(decision)) return 'locked';
    const event = timelineEntry(signal, decision, now);
    try {
      const jobs = deps.jobsOf(decision);
      // Nothing new (a repeated report): only the timeline grows, and the row keeps its version.
      const eventOnly = !decision.changed && jobs.length === 0;
      const written = eventOnly
        ? await deps.append({ read, event })
        : await deps.update({ read, record: decision.record, event, jobs });
      if (written) {
        deps.recent.remember(decision.record, eventOnly ? read.version : read.version + 1);
        deps.onDecision(signal, decision);
        return { record: decision.record, applied: decision.applied, reason: decision.reason };
      }
    } catch (error) {
      if (isUniqueViolation(error, ACTIVE_INDEX)) return 'locked';
      throw error;
    }
    // Another writer changed the record since it was read: read and decide again.
  }
  return 'locked';
}
