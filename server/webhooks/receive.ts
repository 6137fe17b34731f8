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
import { fromWorkflowRunEvent } from './handlers/workflow-run.ts';

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
    case 'workflow_run': {
      const ending = fromWorkflowRunEvent(check(workflowRunEvent, delivery.payload), delivery.deliveryId);
      if (!ending) return { deploymentIds: [], ignored: 'run did not fail' };
      const results = await store.endRun(ending.repository, ending.runId, ending.runAttempt, ending.signal);
      return { deploymentIds: results.map((result) => result.record.id) };
    }
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
