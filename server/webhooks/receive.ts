import type { z } from 'zod';
import type { StoredDelivery } from '../db/deliveries.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import { check } from '../http/validate.ts';
import type { ProtectionGate } from '../protection/gate.ts';
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

/** Turns one stored delivery into signals for the core. */
export async function receive(
  store: LedgerStore,
  delivery: StoredDelivery,
  protection?: ProtectionReceiver,
): Promise<ReceiveOutcome> {
  switch (delivery.event) {
    case 'deployment': {
      const observation = fromDeploymentEvent(check(deploymentEvent, delivery.payload), delivery.deliveryId);
      return { deploymentIds: [(await store.observeDelivery(observation)).record.id] };
    }
    case 'deployment_status': {
      const observation = fromDeploymentStatusEvent(
        check(deploymentStatusEvent, delivery.payload),
        delivery.deliveryId,
      );
      if (!observation) return { deploymentIds: [], ignored: 'unknown deployment state' };
      return { deploymentIds: [(await store.observeDelivery(observation)).record.id] };
    }
    case 'workflow_run':
      return receiveWorkflowRun(store, check(workflowRunEvent, delivery.payload), delivery.deliveryId);
    case 'deployment_protection_rule': {
      if (!protection) return { deploymentIds: [], ignored: 'protection rules are not enabled' };
      const request = fromDeploymentProtectionRuleEvent(
        check(deploymentProtectionRuleEvent, delivery.payload),
        delivery.deliveryId,
        protection.apiUrl,
      );
      if (!request) return { deploymentIds: [], ignored: `action ${delivery.action} is not used` };
      return protection.gate.request(request);
    }
    default:
      return { deploymentIds: [], ignored: `event ${delivery.event} is not used` };
  }
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
