import { createEventHandler, type EmitterWebhookEvent } from '@octokit/webhooks';
import type { z } from 'zod';
import type { StoredDelivery } from '../db/deliveries.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import type { DeliveredDeployment } from '../ledger/index.ts';
import type { ProtectionGate } from '../protection/gate.ts';
import { check } from '../schema-check.ts';
import { fromDeploymentEvent } from './handlers/deployment.ts';
import {
  deploymentProtectionRuleEvent,
  fromDeploymentProtectionRuleEvent,
} from './handlers/deployment-protection-rule.ts';
import { fromDeploymentStatusEvent } from './handlers/deployment-status.ts';
import { deploymentEvent, deploymentStatusEvent, workflowRunEvent } from './handlers/payload.ts';
import { commitTimeOfRun, fromWorkflowRunEvent } from './handlers/workflow-run.ts';

/** The events the receiver folds into records; others are acknowledged and kept, unused. */
export const USED_EVENTS: ReadonlySet<string> = new Set([
  'deployment',
  'deployment_status',
  'workflow_run',
  'deployment_protection_rule',
]);

export interface ReceiveOutcome {
  deploymentIds: string[];
  ignored?: string;
}

/** Deployledger as a deployment protection rule: the gate, and the GitHub API it answers to. */
export interface ProtectionReceiver {
  gate: ProtectionGate;
  apiUrl: string;
}

/**
 * Turns one stored delivery into signals for the core, dispatched by @octokit/webhooks' event
 * handler to typed handlers (`EmitterWebhookEvent<'deployment'>`…). Each handler still checks
 * the parts it reads with zod: the payload comes back from our store, and the Octokit types are
 * a compile-time promise only. Runs after the delivery was stored and acknowledged (route.ts).
 */
export async function receive(
  store: LedgerStore,
  delivery: StoredDelivery,
  protection?: ProtectionReceiver,
): Promise<ReceiveOutcome> {
  let outcome: ReceiveOutcome = { deploymentIds: [], ignored: `event ${delivery.event} is not used` };
  const events = createEventHandler({});
  events.on('deployment', async (event: EmitterWebhookEvent<'deployment'>) => {
    const delivered = fromDeploymentEvent(check(deploymentEvent, event.payload), event.id);
    outcome = { deploymentIds: [(await store.applyDelivery(delivered)).record.id] };
  });
  events.on('deployment_status', async (event: EmitterWebhookEvent<'deployment_status'>) => {
    const delivered = fromDeploymentStatusEvent(check(deploymentStatusEvent, event.payload), event.id);
    outcome = delivered
      ? { deploymentIds: [(await store.applyDelivery(delivered)).record.id] }
      : { deploymentIds: [], ignored: 'unknown deployment state' };
  });
  events.on('workflow_run', async (event: EmitterWebhookEvent<'workflow_run'>) => {
    outcome = await receiveWorkflowRun(store, check(workflowRunEvent, event.payload), event.id);
  });
  events.on(
    'deployment_protection_rule',
    async (event: EmitterWebhookEvent<'deployment_protection_rule'>) => {
      if (!protection) {
        outcome = { deploymentIds: [], ignored: 'protection rules are not enabled' };
        return;
      }
      const request = fromDeploymentProtectionRuleEvent(
        check(deploymentProtectionRuleEvent, event.payload),
        event.id,
        protection.apiUrl,
      );
      outcome = request
        ? await protection.gate.request(request)
        : { deploymentIds: [], ignored: `action ${delivery.action} is not used` };
    },
  );
  const payload =
    delivery.payload && typeof delivery.payload === 'object' && !Array.isArray(delivery.payload)
      ? delivery.payload
      : {};
  try {
    await events.receive({
      id: delivery.deliveryId,
      name: delivery.event,
      payload,
    } as EmitterWebhookEvent);
  } catch (error) {
    // The event handler wraps a handler's error in an AggregateError; the worker decides on the
    // error itself (a DomainError: never retried; anything else: retried with backoff).
    throw error instanceof AggregateError && error.errors.length === 1 ? error.errors[0] : error;
  }
  return outcome;
}

/**
 * What a `deployment` or `deployment_status` delivery observed, for folding several at once
 * (server/db/delivery-batch.ts) exactly as `receive` folds one: null when it names no state we
 * know; undefined for the other events, which go through `receive`. Throws a Problem when the
 * payload is not what GitHub sends.
 */
export function deliveredDeploymentOf(delivery: StoredDelivery): DeliveredDeployment | null | undefined {
  if (delivery.event === 'deployment')
    return fromDeploymentEvent(check(deploymentEvent, delivery.payload), delivery.deliveryId);
  if (delivery.event === 'deployment_status')
    return fromDeploymentStatusEvent(check(deploymentStatusEvent, delivery.payload), delivery.deliveryId);
  return undefined;
}

/** Any delivery of a run may date its commit (lead time); a failed run also ends its deployments. */
async function receiveWorkflowRun(
  store: LedgerStore,
  event: z.infer<typeof workflowRunEvent>,
  deliveryId: string,
): Promise<ReceiveOutcome> {
  const commit = commitTimeOfRun(event);
  const dated = commit ? await store.noteCommitTimeOfRun(commit, commit.at) : [];
  const ending = fromWorkflowRunEvent(event, deliveryId);
  const ended = ending
    ? await store.endRun(
        ending.repository,
        ending.runId,
        ending.runAttempt,
        ending.signal,
        ending.repositoryId,
      )
    : [];
  const deploymentIds = [...new Set([...dated, ...ended.map((result) => result.record)].map((r) => r.id))];
  if (!ending && deploymentIds.length === 0) return { deploymentIds, ignored: 'run did not fail' };
  return { deploymentIds };
}
