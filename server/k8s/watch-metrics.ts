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
    help: 'Whether the Kubernetes watch of a scope (namespace, or * for all) is connected',
    labelNames: ['scope'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const stream of streams()) this.set({ scope: stream.scope }, stream.status === 'watching' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'deployledger_k8s_watch_last_event_timestamp_seconds',
    help: 'When the Kubernetes watch of a scope last received anything (event, bookmark or list)',
    labelNames: ['scope'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const stream of streams()) {
        if (stream.lastEventAt) this.set({ scope: stream.scope }, stream.lastEventAt.getTime() / 1000);
      }
    },
  });
  new Gauge({
    name: 'deployledger_k8s_pending_objects',
    help: 'Deployment objects observed but not yet handled (waiting for, or retrying, the database)',
    registers: [registry],
    collect() {
      this.set(pending());
    },
  });
  const metric = metricsOn(registry);
  const watchEnds = metric.counter(
    'deployledger_k8s_watch_restarts_total',
    'Kubernetes watch connections ended, by reason (closed, expired = 410 Gone, stalled, resync, error)',
    ['scope', 'reason'],
  );
  const events = metric.counter(
    'deployledger_k8s_watch_events_total',
    'Kubernetes watch events received, by type',
    ['scope', 'type'],
  );
  const observations = metric.counter(
    'deployledger_k8s_rollout_observations_total',
    'Rollout steps observed, by step and what was done with them',
    ['step', 'outcome'],
  );
  return {
    watchEnded: (scope: string, reason: WatchEnd) => watchEnds.inc({ scope: scope || '*', reason }),
    event: (scope: string, type: string) => events.inc({ scope: scope || '*', type }),
    observed: (step: string, outcome: ObservationOutcome) => observations.inc({ step, outcome }),
  };
}

export type WatchMetrics = ReturnType<typeof createWatchMetrics>;
