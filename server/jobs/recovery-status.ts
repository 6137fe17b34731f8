import type { HookRecoveryState } from '../db/hook-recovery.ts';
import { type Metrics, metricsOn } from '../metrics.ts';

export type RecoveryStatus = 'off' | 'starting' | 'ok' | 'failing' | 'rate_limited';

/** One hook's part of the report: when its log was last read and what went wrong. */
export interface HookReport {
  hook: string;
  status: RecoveryStatus;
  running?: boolean;
  last_run_at?: string | null;
  last_success_at?: string | null;
  error_kind: string | null;
  error: string | null;
  retry_at?: string | null;
  read_up_to?: { delivery_id: number; delivered_at: string } | null;
  recovered_total?: number;
  last_recovered_at?: string | null;
}

/** What /readyz shows under `github_recovery`, and the dashboard's status line. */
export type RecoveryReport =
  | { status: 'off'; reason: string }
  | { status: RecoveryStatus; interval_seconds: number; hooks: HookReport[] };

/**
 * What /readyz shows under `github_recovery` and /metrics counts. Every replica reads the hooks'
 * state from the database each interval, so any replica shows the last run, whichever ran it.
 */
export function recoveryStatus(metrics: Metrics, options: { intervalSeconds: number; offReason?: string }) {
  const metric = metricsOn(metrics.registry);
  const recovered = metric.counter(
    'deployledger_github_deliveries_recovered_total',
    'Deliveries recovered from a GitHub hook delivery log (never stored before), by hook and event',
    ['hook', 'event'],
  );
  const lag = metric.histogram(
    'deployledger_github_delivery_recovery_lag_seconds',
    'Time from GitHub delivering (and failing) a delivery to its recovery into the ledger',
    [1, 5, 15, 60, 300, 900, 3600, 6 * 3600, 86_400, 3 * 86_400],
  );
  const runs = metric.counter(
    'deployledger_github_recovery_runs_total',
    'Delivery log reads by this replica, by hook and outcome (ok or the error kind)',
    ['hook', 'outcome'],
  );
  const hookGauge = (name: string, help: string) => metric.gauge(name, help, ['hook']);
  const up = hookGauge(
    'deployledger_github_recovery_up',
    '1 when the last read of the hook delivery log (by any replica) succeeded',
  );
  const lastSuccess = hookGauge(
    'deployledger_github_recovery_last_success_timestamp_seconds',
    'When the hook delivery log was last read completely (by any replica)',
  );
  const behind = hookGauge(
    'deployledger_github_recovery_position_age_seconds',
    'Age of the newest delivery the recovery has read up to (how far the log has been checked)',
  );

  let states: HookRecoveryState[] = [];
  const problems = new Map<string, { kind: string; message: string }>();

  const report = (): RecoveryReport => {
    if (options.offReason) return { status: 'off', reason: options.offReason };
    const hooks: HookReport[] = states.map((state) => present(state, problems.get(state.hook)));
    for (const [hook, problem] of problems) {
      if (!states.some((state) => state.hook === hook))
        hooks.push({ hook, status: 'failing', error_kind: problem.kind, error: problem.message });
    }
    return {
      status: overall(hooks.map((hook) => hook.status)),
      interval_seconds: options.intervalSeconds,
      hooks,
    };
  };
  metrics.components.set('github_recovery', report);

  return {
    report,
    recovered(hook: string, event: string, deliveredAt: Date) {
      recovered.inc({ hook, event });
      lag.observe(Math.max(0, (Date.now() - deliveredAt.getTime()) / 1000));
    },
    ran(hook: string, outcome: string) {
      runs.inc({ hook, outcome });
    },
    /** A problem found before GitHub was asked (no credentials): shown until it is gone. */
    problem(hook: string, problem: { kind: string; message: string } | null) {
      if (problem) problems.set(hook, problem);
      else problems.delete(hook);
    },
    update(next: HookRecoveryState[]) {
      states = next;
      for (const state of next) {
        up.set({ hook: state.hook }, state.errorKind === null && state.succeededAt !== null ? 1 : 0);
        if (state.succeededAt) lastSuccess.set({ hook: state.hook }, state.succeededAt.getTime() / 1000);
        if (state.position)
          behind.set({ hook: state.hook }, (Date.now() - state.position.deliveredAt.getTime()) / 1000);
      }
    },
  };
}

export type RecoveryReporter = ReturnType<typeof recoveryStatus>;

function present(state: HookRecoveryState, problem?: { kind: string; message: string }): HookReport {
  const status: RecoveryStatus = problem
    ? 'failing'
    : state.errorKind === 'rate_limited'
      ? 'rate_limited'
      : state.errorKind
        ? 'failing'
        : state.succeededAt
          ? 'ok'
          : 'starting';
  return {
    hook: state.hook,
    status,
    running: state.running,
    last_run_at: state.finishedAt?.toISOString() ?? null,
    last_success_at: state.succeededAt?.toISOString() ?? null,
    error_kind: problem?.kind ?? state.errorKind,
    error: problem?.message ?? state.lastError,
    retry_at: state.retryAt?.toISOString() ?? null,
    read_up_to: state.position
      ? { delivery_id: state.position.deliveryId, delivered_at: state.position.deliveredAt.toISOString() }
      : null,
    recovered_total: state.recoveredTotal,
    last_recovered_at: state.lastRecoveredAt?.toISOString() ?? null,
  };
}

function overall(statuses: RecoveryStatus[]): RecoveryStatus {
  if (statuses.includes('failing')) return 'failing';
  if (statuses.includes('rate_limited')) return 'rate_limited';
  if (statuses.length === 0 || statuses.includes('starting')) return 'starting';
  return 'ok';
}
