import * as z from 'zod/mini';

// The same check the server applies to `commit_at`, so what passes here is never refused there.
const isoTime = z.iso.datetime({ offset: true });

/** A commit as GitHub's event payloads describe it (`head_commit`). */
const commit = z.object({ id: z.string(), timestamp: z.string() });

const pushEvent = z.object({ head_commit: commit });
const workflowRunEvent = z.object({ workflow_run: z.object({ head_commit: commit }) });

/** The run's commit in the events that name one; other events (pull_request…) carry no time. */
function headCommit(eventName: string, event: unknown): { id: string; timestamp: string } | undefined {
  if (eventName === 'push') {
    const push = z.safeParse(pushEvent, event);
    return push.success ? push.data.head_commit : undefined;
  }
  if (eventName === 'workflow_run') {
    const run = z.safeParse(workflowRunEvent, event);
    return run.success ? run.data.workflow_run.head_commit : undefined;
  }
  return undefined;
}

/** Checks the `commit-time` input: ISO 8601 with an offset (`Z` or `+02:00`). */
export function parseCommitTime(value: string): string {
  if (!z.safeParse(isoTime, value).success) {
    throw new Error(
      `Input commit-time is "${value}"; use an ISO 8601 time with an offset, e.g. 2026-03-01T12:00:00Z.`,
    );
  }
  return value;
}

/**
 * The deployed commit's time from the workflow's event payload (@actions/github's
 * `context.payload`), without any network call: `head_commit` of a push,
 * `workflow_run.head_commit` of a workflow_run. Only when that commit is the one being deployed;
 * undefined otherwise, or when the payload has no such commit — change lead time is then just not
 * measured for this deployment, which is no reason to fail the step.
 */
export function commitTimeFromEvent(
  eventName: string | undefined,
  event: unknown,
  sha: string,
): string | undefined {
  if (!eventName) return undefined;
  const found = headCommit(eventName, event);
  if (!found) return undefined;
  const { id, timestamp } = found;
  if (id.toLowerCase() !== sha.toLowerCase()) return undefined;
  return z.safeParse(isoTime, timestamp).success ? timestamp : undefined;
}
