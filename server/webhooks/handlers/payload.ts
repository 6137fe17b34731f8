import { z } from 'zod';

// The parts of GitHub's payloads the ledger reads; everything else is kept only in the store.

// `id` is GitHub's numeric repository id: it survives renames and transfers, `full_name` does not.
const repository = z.object({ full_name: z.string(), id: z.number().int().positive().optional() });

const workflowRun = z
  .object({ id: z.number(), run_attempt: z.number().optional() })
  .nullish()
  .transform((run) => (run ? { id: run.id, attempt: run.run_attempt ?? 1 } : null));

export const githubDeployment = z.object({
  id: z.number(),
  sha: z.string(),
  ref: z.string().nullish(),
  environment: z.string(),
  description: z.string().nullish(),
  created_at: z.string(),
  // Deployments we create carry `{"deployledger": {"id": <record id>}}`; GitHub may send the
  // payload as an object or as a JSON string.
  payload: z.unknown().optional(),
});

export const deploymentEvent = z.object({
  action: z.string().optional(),
  deployment: githubDeployment,
  repository,
  workflow_run: workflowRun,
});

export const deploymentStatusEvent = z.object({
  action: z.string().optional(),
  deployment_status: z.object({
    id: z.number().optional(),
    state: z.string(),
    created_at: z.string(),
    description: z.string().nullish(),
    environment_url: z.string().nullish(),
    log_url: z.string().nullish(),
    target_url: z.string().nullish(),
  }),
  deployment: githubDeployment,
  repository,
  workflow_run: workflowRun,
});

export const workflowRunEvent = z.object({
  action: z.string(),
  repository,
  workflow_run: z.object({
    id: z.number(),
    run_attempt: z.number().optional(),
    status: z.string().nullish(),
    conclusion: z.string().nullish(),
    updated_at: z.string().nullish(),
    html_url: z.string().nullish(),
    head_sha: z.string().nullish(),
    head_commit: z.object({ id: z.string().nullish(), timestamp: z.string().nullish() }).nullish(),
  }),
});

export function nonEmpty(value: string | null | undefined): string | null {
  return value ? value : null;
}
