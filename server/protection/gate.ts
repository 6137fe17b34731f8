import type { Tx } from '../db/environment-lock.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import { enqueue } from '../db/outbox.ts';
import {
  decideHeld,
  findReleasable,
  findRequestByDelivery,
  type HeldRequest,
  holdFor,
  insertRequest,
  type ProtectionRequestInput,
  underProtectionLock,
  type Verdict,
} from '../db/protection-requests.ts';
import type { StuckPolicy } from '../ledger/index.ts';
import type { Logger } from '../log.ts';
import type { Comments } from './comments.ts';
import { type ProtectionConfig, protectionFor } from './config.ts';
import { evaluateRelease, evaluateRequest, type Outcome } from './evaluate.ts';
import { findRecord, readSituation } from './situation.ts';
import { waitedForEnd } from './superseded-rollout.ts';

const DELIVERY_INDEX = 'protection_request_delivery_id_key';

export interface ProtectionGateDeps {
  prisma: PrismaClient;
  store: LedgerStore;
  config: ProtectionConfig;
  comments: Comments;
  /** The sweeper's deadlines: the longest a superseded record's rollout is waited for without news. */
  stuck: StuckPolicy;
  logger: Logger;
  /** Told when a decision was queued for GitHub, so the outbox sends it at once. */
  onDecided: () => void;
  /** Whether this server has GitHub credentials to send decisions with (else they wait in the outbox). */
  answers: boolean;
}

/**
 * Deployledger as a deployment protection rule: decides each request GitHub sends, holds it in
 * the database while the environment has an active deployment, and queues every decision for
 * GitHub in the outbox in the same transaction that records it — so it is sent once, by one
 * replica, even after a restart.
 */
export class ProtectionGate {
  constructor(private readonly deps: ProtectionGateDeps) {}

  async request(input: ProtectionRequestInput): Promise<{ deploymentIds: string[]; ignored?: string }> {
    const ignored = { deploymentIds: [], ignored: 'protection request already handled' };
    try {
      const outcome = await underProtectionLock(this.deps.prisma, input, (tx) => this.decide(tx, input));
      return outcome ? { deploymentIds: await this.record(input, outcome) } : ignored;
    } catch (error) {
      if (isUniqueViolation(error, DELIVERY_INDEX)) return ignored;
      throw error;
    }
  }

  /** Decides a new request and stores it (held, or decided with its review queued); null when handled before. */
  private async decide(tx: Tx, input: ProtectionRequestInput): Promise<Outcome | null> {
    const { config, comments } = this.deps;
    if (await findRequestByDelivery(tx, input.deliveryId)) return null;
    const situation = {
      environment: input.environment,
      protection: protectionFor(config, input.environment),
      ...(await readSituation(tx, input, this.deps.stuck)),
    };
    const outcome = evaluateRequest(situation, input.requestedAt, comments);
    if (outcome.kind === 'hold') {
      await insertRequest(tx, input, {
        held: { waitingFor: outcome.waitingFor.id, deadline: outcome.deadline },
      });
      return outcome;
    }
    const verdict = verdictOf(outcome);
    await insertRequest(tx, input, { verdict });
    await enqueueReview(tx, input, verdict, outcome.concerns?.id ?? null);
    return outcome;
  }

  /** Decides the held requests that can be decided now; the number looked at. */
  async releaseDue(limit = 50): Promise<number> {
    const held = await findReleasable(this.deps.prisma, limit, this.deps.stuck);
    for (const request of held) {
      const changed = await underProtectionLock(this.deps.prisma, request, (tx) => this.release(tx, request));
      if (changed) await this.record(request, changed);
    }
    return held.length;
  }

  /**
   * Looks at a held request again: decides it, or moves it on to another deployment to wait for.
   * The outcome when it changed (another replica may have decided it first); null otherwise.
   */
  private async release(tx: Tx, request: HeldRequest): Promise<Outcome | null> {
    const { config, comments, stuck } = this.deps;
    const waitedFor = await findRecord(tx, request.waitingFor);
    const outcome = evaluateRelease(
      {
        environment: request.environment,
        protection: protectionFor(config, request.environment),
        ...(await readSituation(tx, request, stuck)),
        waitedFor,
        waitedForEnd: waitedFor ? await waitedForEnd(tx, request, waitedFor, stuck) : null,
        heldSince: request.createdAt,
        deadline: request.deadline,
      },
      new Date(),
      comments,
    );
    if (outcome.kind === 'hold') {
      if (outcome.waitingFor.id === request.waitingFor) return null;
      return (await holdFor(tx, request.id, outcome.waitingFor.id)) ? outcome : null;
    }
    const verdict = verdictOf(outcome);
    if (!(await decideHeld(tx, request.id, verdict))) return null;
    await enqueueReview(tx, request, verdict, outcome.concerns?.id ?? null);
    return outcome;
  }

  /** Puts the outcome on the timeline of the record it concerns, and in the log. */
  private async record(request: ProtectionRequestInput, outcome: Outcome): Promise<string[]> {
    const concerns = outcome.kind === 'hold' ? outcome.waitingFor : outcome.concerns;
    const reason = outcome.kind === 'hold' ? 'waiting' : outcome.reason;
    const event = { hold: 'protection_held', approve: 'protection_approved', reject: 'protection_rejected' }[
      outcome.kind
    ];
    const detail = {
      environment: request.environment,
      run_id: request.runId,
      github_deployment_id: request.githubDeploymentId,
      rule: reason,
      comment: outcome.comment,
    };
    if (concerns) await this.deps.store.note(concerns.id, 'protection', event, detail);
    if (outcome.kind !== 'hold') this.deps.onDecided();
    this.deps.logger.info(
      {
        deployment_id: concerns?.id ?? null,
        repository: request.repository,
        delivery_id: request.deliveryId,
        ...detail,
      },
      event.replace('_', ' '),
    );
    if (outcome.kind !== 'hold' && !this.deps.answers) {
      this.deps.logger.error(
        { deployment_id: concerns?.id ?? null, repository: request.repository, ...detail },
        'protection decision not sent: this server has no GitHub credentials (set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY, the App that is the rule); it waits in the outbox and is sent once a server runs with them. Until then the job waits (up to 30 days): approve or reject it in GitHub by hand',
      );
    }
    return concerns ? [concerns.id] : [];
  }
}

function verdictOf(outcome: Exclude<Outcome, { kind: 'hold' }>): Verdict {
  return {
    decision: outcome.kind === 'approve' ? 'approved' : 'rejected',
    reason: outcome.reason,
    comment: outcome.comment,
  };
}

async function enqueueReview(
  tx: Parameters<typeof enqueue>[0],
  request: ProtectionRequestInput,
  verdict: Verdict,
  recordId: string | null,
) {
  // Not tied to the record in the outbox: a review must not queue behind that record's own
  // GitHub calls. The record is named in the payload for the timeline.
  await enqueue(tx, {
    deploymentId: null,
    kind: 'github.review_protection',
    dedupeKey: `protection:${request.deliveryId}`,
    payload: {
      record_id: recordId,
      repository: request.repository,
      environment: request.environment,
      callback_url: request.callbackUrl,
      installation_id: request.installationId,
      state: verdict.decision,
      comment: verdict.comment,
    },
  });
}
