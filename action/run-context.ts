/** What the runner tells the Action about this run: @actions/github's `context`, checked once. */
export interface RunContext {
  repository: string;
  runId: number;
  runAttempt: number;
  /** GITHUB_SHA: the default sha to record. */
  sha: string | undefined;
  ref: string | undefined;
  /** github.com, or the GitHub Enterprise Server's URL (for the run's log link). */
  serverUrl: string;
  eventName: string | undefined;
  /** The triggering event's payload (GITHUB_EVENT_PATH); `{}` when there is none. */
  payload: unknown;
}

/**
 * The run's context from @actions/github. Imported when asked for, not at load: its `context`
 * parses the event file as it is created, and a file that is not JSON must fail the step with
 * a message (run()'s one catch), not crash the process before it.
 */
export async function readRunContext(): Promise<RunContext> {
  const { context } = await import('@actions/github').catch((error: Error) => {
    throw new Error(
      `The runner's event file (GITHUB_EVENT_PATH ${process.env.GITHUB_EVENT_PATH}) could not be read: ${error.message}`,
    );
  });
  let repo: { owner: string; repo: string };
  try {
    repo = context.repo;
  } catch {
    throw new Error('GITHUB_REPOSITORY is not set: this Action reads it from the GitHub Actions runner.');
  }
  return {
    repository: `${repo.owner}/${repo.repo}`,
    runId: positive(context.runId, 'GITHUB_RUN_ID'),
    runAttempt: positive(context.runAttempt, 'GITHUB_RUN_ATTEMPT'),
    sha: context.sha || undefined,
    ref: context.ref || undefined,
    serverUrl: context.serverUrl.replace(/\/+$/, ''),
    eventName: context.eventName || undefined,
    payload: context.payload,
  };
}

function positive(value: number, variable: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(
      `${variable} is not a positive whole number: this Action reads it from the GitHub Actions runner.`,
    );
  }
  return value;
}
