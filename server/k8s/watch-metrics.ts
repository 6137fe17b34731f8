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

interface ClusterSource {
  streams: () => StreamHealth[];
  pending: () => number;
}

/**
 * The watchers' Prometheus metrics, on the server's registry, registered once for every
 * cluster's watcher (each series labelled with its `cluster`).
 */
export function createWatchMetrics(registry: Registry) {
  const clusters = new Map<string, ClusterSource>();
  const everyStream = function* () {
    for (const [cluster, source] of clusters)
      for (const stream of source.streams()) yield { cluster, stream };
  };
  new Gauge({
    name: 'deployledger_k8s_watch_up',
    help: 'Whether the Kubernetes watch of a kind in a scope (namespace, or * for all) is connected (absent kinds, whose CRD is not installed, are left out)',
    labelNames: ['cluster', 'kind', 'scope'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { cluster, stream } of everyStream()) {
        if (stream.status !== 'absent')
          this.set({ cluster, kind: stream.kind, scope: stream.scope }, stream.status === 'watching' ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'deployledger_k8s_watch_last_event_timestamp_seconds',
    help: 'When the Kubernetes watch of a kind in a scope last received anything (event, bookmark or list)',
    labelNames: ['cluster', 'kind', 'scope'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { cluster, stream } of everyStream()) {
        if (stream.lastEventAt)
          this.set({ cluster, kind: stream.kind, scope: stream.scope }, stream.lastEventAt.getTime() / 1000);
      }
    },
  });
  new Gauge({
    name: 'deployledger_k8s_pending_objects',
    help: 'Workload objects observed but not yet handled (waiting for, or retrying, the database)',
    labelNames: ['cluster'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [cluster, source] of clusters) this.set({ cluster }, source.pending());
    },
  });
  const metric = metricsOn(registry);
  const watchEnds = metric.counter(
    'deployledger_k8s_watch_restarts_total',
    'Kubernetes watch connections ended, by reason (closed, expired = 410 Gone, stalled, resync, error)',
    ['cluster', 'kind', 'scope', 'reason'],
  );
  const events = metric.counter(
    'deployledger_k8s_watch_events_total',
    'Kubernetes watch events received, by type',
    ['cluster', 'kind', 'scope', 'type'],
  );
  const observations = metric.counter(
    'deployledger_k8s_rollout_observations_total',
    'Rollout steps observed, by step and what was done with them',
    ['cluster', 'step', 'outcome'],
  );
  return {
    /** One cluster's watcher: its streams and queue are collected, its counters labelled. */
    forCluster(cluster: string, source: ClusterSource) {
      clusters.set(cluster, source);
      const eventCounters = new Map<string, { inc(): void }>();
      return {
        watchEnded: (kind: string, scope: string, reason: WatchEnd) =>
          watchEnds.inc({ cluster, kind, scope: scope || '*', reason }),
        event: (kind: string, scope: string, type: string) => {
          // Called for every watch event: the labelled child is looked up once, not per event.
          const key = `${kind}\n${scope}\n${type}`;
          let child = eventCounters.get(key);
          if (!child) {
            child = events.labels({ cluster, kind, scope: scope || '*', type });
            eventCounters.set(key, child);
          }
          child.inc();
        },
        observed: (step: string, outcome: ObservationOutcome) => observations.inc({ cluster, step, outcome }),
      };
    },
  };
}

export type WatchMetricsRegistry = ReturnType<typeof createWatchMetrics>;
export type WatchMetrics = ReturnType<WatchMetricsRegistry['forCluster']>;
