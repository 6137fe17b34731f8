import { Gauge, type Registry } from 'prom-client';
import { metricsOn } from '../metrics.ts';
import type { StreamHealth, WatchEnd } from './list-watch.ts';

/** What the watcher did with one observed rollout step. */
export type ObservationOutcome =
  | 'reported'
  | 'already_reported'
  | 'record_finished'
  | 'unmatched'
  | 'ambiguous';

/** The watcher's Prometheus metrics, on the server's registry. */
export function createWatchMetrics(registry: Registry, streams: () => StreamHealth[], pending: () => number) {
  new Gauge({
    name: 'deployledger_k8s_watch_up',
    help: 'Whether the Kubernetes watch of a kind in a scope (namespace, or * for all) is connected (absent kinds, whose CRD is not installed, are left out)',
    labelNames: ['kind', 'scope'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const stream of streams()) {
        if (stream.status !== 'absent')
          this.set({ kind: stream.kind, scope: stream.scope }, stream.status === 'watching' ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'deployledger_k8s_watch_last_event_timestamp_seconds',
    help: 'When the Kubernetes watch of a kind in a scope last received anything (event, bookmark or list)',
    labelNames: ['kind', 'scope'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const stream of streams()) {
        if (stream.lastEventAt)
          this.set({ kind: stream.kind, scope: stream.scope }, stream.lastEventAt.getTime() / 1000);
      }
    },
  });
  new Gauge({
    name: 'deployledger_k8s_pending_objects',
    help: 'Workload objects observed but not yet handled (waiting for, or retrying, the database)',
    registers: [registry],
    collect() {
      this.set(pending());
    },
  });
  const metric = metricsOn(registry);
  const watchEnds = metric.counter(
    'deployledger_k8s_watch_restarts_total',
    'Kubernetes watch connections ended, by reason (closed, expired = 410 Gone, stalled, resync, error)',
    ['kind', 'scope', 'reason'],
  );
  const events = metric.counter(
    'deployledger_k8s_watch_events_total',
    'Kubernetes watch events received, by type',
    ['kind', 'scope', 'type'],
  );
  const observations = metric.counter(
    'deployledger_k8s_rollout_observations_total',
    'Rollout steps observed, by step and what was done with them',
    ['step', 'outcome'],
  );
  return {
    watchEnded: (kind: string, scope: string, reason: WatchEnd) =>
      watchEnds.inc({ kind, scope: scope || '*', reason }),
    event: (kind: string, scope: string, type: string) => events.inc({ kind, scope: scope || '*', type }),
    observed: (step: string, outcome: ObservationOutcome) => observations.inc({ step, outcome }),
  };
}

export type WatchMetrics = ReturnType<typeof createWatchMetrics>;
