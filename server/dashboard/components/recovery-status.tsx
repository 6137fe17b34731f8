import type { HookReport, RecoveryReport, RecoveryStatus } from '../../jobs/recovery-status.ts';
import { age, timestamp } from '../format.ts';
import { canSee, type Viewer } from '../viewer.ts';

const SUMMARY: Record<RecoveryStatus, string> = {
  off: 'not recovered',
  starting: "recovery has not read GitHub's delivery log yet",
  ok: "recovered from GitHub's delivery log",
  failing: "recovery from GitHub's delivery log is failing",
  rate_limited: "recovery is waiting out GitHub's rate limit",
};

/**
 * When the recovery of missed GitHub deliveries last ran and why it fails, as /readyz says it.
 * A repository's hook is named only to a viewer who may see that repository.
 */
export function RecoveryStatusLine({ report, viewer }: { report: RecoveryReport; viewer: Viewer }) {
  const now = new Date();
  if (!('hooks' in report)) {
    return (
      <section class="recovery" data-status="off" aria-label="Missed GitHub deliveries">
        <p>
          <strong>Missed GitHub deliveries:</strong> {`${SUMMARY.off} (${report.reason}).`}
        </p>
      </section>
    );
  }
  const shown = report.hooks.filter((hook) => visible(hook.hook, viewer));
  const hidden = report.hooks.filter((hook) => !visible(hook.hook, viewer));
  return (
    <section class="recovery" data-status={report.status} aria-label="Missed GitHub deliveries">
      <p>
        <strong>Missed GitHub deliveries:</strong>{' '}
        {`${SUMMARY[report.status]}; the log is read at start and every ${report.interval_seconds} s.`}
      </p>
      {report.hooks.length > 0 && (
        <ul>
          {shown.map((hook) => (
            <li data-hook={hook.hook} data-status={hook.status}>
              {`${hookName(hook.hook)}: ${hookLine(hook, now)}`}
            </li>
          ))}
          {hidden.length > 0 && (
            <li data-hook="hidden">
              {`${hidden.length} hook(s) of repositories this key cannot see: ${hidden.map((hook) => hook.status).join(', ')}.`}
            </li>
          )}
        </ul>
      )}
    </section>
  );
}

function visible(hook: string, viewer: Viewer): boolean {
  const repository = /^repo:(.+):\d+$/.exec(hook)?.[1];
  return !repository || canSee(viewer, repository);
}

function hookName(hook: string): string {
  if (hook === 'app') return "the GitHub App's hook";
  const repository = /^repo:(.+):(\d+)$/.exec(hook);
  if (repository) return `${repository[1]} hook ${repository[2]}`;
  const org = /^org:(.+):(\d+)$/.exec(hook);
  return org ? `organization ${org[1]} hook ${org[2]}` : hook;
}

function when(iso: string | null | undefined, now: Date): string | null {
  return iso ? `${age(new Date(iso), now)} (${timestamp(new Date(iso))})` : null;
}

function hookLine(hook: HookReport, now: Date): string {
  const lastRun = when(hook.last_run_at, now);
  const lastSuccess = when(hook.last_success_at, now);
  const recovered = hook.recovered_total ? `; ${hook.recovered_total} recovered so far` : '';
  switch (hook.status) {
    case 'ok':
      return `last read ${lastRun ?? lastSuccess ?? 'just now'}${recovered}.`;
    case 'starting':
      return 'not read yet.';
    case 'rate_limited':
      return `rate limited by GitHub until ${timestamp(hook.retry_at ? new Date(hook.retry_at) : null)}; last read completely ${lastSuccess ?? 'never'}${recovered}.`;
    default:
      return `failing (${hook.error_kind ?? 'error'}): ${hook.error ?? 'unknown error'}. Last run ${lastRun ?? 'never'}, last read completely ${lastSuccess ?? 'never'}${recovered}.`;
  }
}
