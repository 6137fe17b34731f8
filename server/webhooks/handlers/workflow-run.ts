import type { z } from 'zod';
import type { Signal, State } from '../../ledger/index.ts';
import type { workflowRunEvent } from './payload.ts';

const ENDING: Record<string, State> = { failure: 'failure', cancelled: 'error', timed_out: 'error' };

/**
 * `workflow_run` completed with failure / cancelled / timed_out: the run's still-active
 * deployments end (this is what un-sticks "running"). Other runs say nothing about deployments.
 */
export function fromWorkflowRunEvent(event: z.infer<typeof workflowRunEvent>, deliveryId: string) {
  const run = event.workflow_run;
  const state = run.conclusion ? ENDING[run.conclusion] : undefined;
  if (event.action !== 'completed' || !state) return null;
  const signal: Signal = {
    source: 'webhook',
    state,
    at: run.updated_at ? new Date(run.updated_at) : new Date(),
    reason: `workflow_run_${run.conclusion}`,
    logUrl: run.html_url ?? null,
    detail: { delivery_id: deliveryId, event: 'workflow_run', conclusion: run.conclusion },
  };
  return { repository: event.repository.full_name, runId: run.id, runAttempt: run.run_attempt ?? 1, signal };
}
