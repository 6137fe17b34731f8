import { z } from 'zod';
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
  return {
    repository: event.repository.full_name,
    repositoryId: event.repository.id ?? null,
    runId: run.id,
    runAttempt: run.run_attempt ?? 1,
    signal,
  };
}

const isoTime = z.iso.datetime({ offset: true });

/**
 * The run's commit and when it was made (`head_commit.timestamp`), from any `workflow_run`
 * delivery: lead time for the run's deployments of that very commit. Null when the payload has
 * no usable time, or its head_commit is not the run's head_sha.
 */
export function commitTimeOfRun(event: z.infer<typeof workflowRunEvent>) {
  const run = event.workflow_run;
  const sha = run.head_sha?.toLowerCase();
  const timestamp = run.head_commit?.timestamp;
  if (!sha || !timestamp || !isoTime.safeParse(timestamp).success) return null;
  if (run.head_commit?.id && run.head_commit.id.toLowerCase() !== sha) return null;
  return {
    repository: event.repository.full_name,
    runId: run.id,
    runAttempt: run.run_attempt ?? 1,
    sha,
    at: new Date(timestamp),
  };
}
