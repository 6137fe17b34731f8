/** One `deployment_protection_rule` request, as GitHub sent it. */
export interface ProtectionRequestInput {
  deliveryId: string;
  repository: string;
  environment: string;
  runId: number;
  callbackUrl: string;
  installationId: number | null;
  githubDeploymentId: number | null;
  sha: string | null;
  requestedAt: Date;
}

export interface HeldRequest extends ProtectionRequestInput {
  id: bigint;
  waitingFor: string | null;
  deadline: Date | null;
  createdAt: Date;
}

export type Verdict = { decision: 'approved' | 'rejected'; reason: string; comment: string };
