import { z } from 'zod';
import type { ProtectionRequestInput } from '../../db/protection-requests.ts';
import { badRequest } from '../../errors.ts';
import { checkCallbackUrl } from '../../github/protection.ts';

/** The fields of `deployment_protection_rule` (action `requested`) that the gate uses. */
export const deploymentProtectionRuleEvent = z.object({
  action: z.string(),
  environment: z.string().min(1),
  deployment_callback_url: z.url(),
  deployment: z.object({ id: z.number().int(), sha: z.string(), created_at: z.string() }).nullish(),
  repository: z.object({ full_name: z.string().regex(/^[^/]+\/[^/]+$/) }),
  installation: z.object({ id: z.number().int() }).nullish(),
});

const RUN_ID = /\/actions\/runs\/(\d+)\/deployment_protection_rule$/;

/** A request for the gate, or null for an action other than `requested`. */
export function fromDeploymentProtectionRuleEvent(
  event: z.infer<typeof deploymentProtectionRuleEvent>,
  deliveryId: string,
  apiUrl: string,
): ProtectionRequestInput | null {
  if (event.action !== 'requested') return null;
  const problem = checkCallbackUrl(event.deployment_callback_url, apiUrl);
  if (problem) throw badRequest(problem);
  const runId = Number(RUN_ID.exec(new URL(event.deployment_callback_url).pathname)?.[1]);
  const createdAt = event.deployment ? new Date(event.deployment.created_at) : null;
  return {
    deliveryId,
    repository: event.repository.full_name,
    environment: event.environment,
    runId,
    callbackUrl: event.deployment_callback_url,
    installationId: event.installation?.id ?? null,
    githubDeploymentId: event.deployment?.id ?? null,
    sha: event.deployment?.sha.toLowerCase() ?? null,
    // Rules apply at the time GitHub asked, even when the delivery is processed later.
    requestedAt: createdAt && !Number.isNaN(createdAt.getTime()) ? createdAt : new Date(),
  };
}
