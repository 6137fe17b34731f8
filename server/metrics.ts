import {
  type CollectFunction,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  Registry,
} from 'prom-client';
import type { Decision, Signal } from './ledger/index.ts';

/**
 * Declares metrics on `registry`, one line each: a name, its help, its labels (and a gauge's
 * `collect`, a histogram's buckets).
 */
export function metricsOn(registry: Registry) {
  const registers = [registry];
  return {
    counter: <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Counter<L>({ name, help, labelNames, registers }),
    gauge: <L extends string = never>(
      name: string,
      help: string,
      labelNames: readonly L[] = [],
      collect?: CollectFunction<Gauge<L>>,
    ) => new Gauge<L>({ name, help, labelNames, registers, ...(collect ? { collect } : {}) }),
    histogram: <L extends string = never>(
      name: string,
      help: string,
      buckets: number[],
      labelNames: readonly L[] = [],
    ) => new Histogram<L>({ name, help, buckets, labelNames, registers }),
  };
}

/** The server's Prometheus metrics, on one registry per process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'deployledger_' });
  const metric = metricsOn(registry);
  const requestDuration = metric.histogram(
    'deployledger_http_request_duration_seconds',
    'HTTP request duration by route and status',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    ['method', 'route', 'status'],
  );
  const signals = metric.counter(
    'deployledger_signals_total',
    'Signals decided by the ledger core, by source, state and whether they were applied',
    ['source', 'state', 'applied'],
  );
  const transitions = metric.counter('deployledger_state_transitions_total', 'Deployment state transitions', [
    'from',
    'to',
  ]);
  const unprocessableDeliveries = metric.counter(
    'deployledger_webhook_deliveries_unprocessable_total',
    'Signed GitHub deliveries kept but never applied: their payload holds text that cannot be stored (NUL bytes, lone surrogates)',
    ['event'],
  );
  // Background parts (the Kubernetes watcher) report their health here; /readyz shows it.
  const components = new Map<string, () => Record<string, unknown>>();
  return {
    registry,
    httpRequests: requestObserver(requestDuration),
    unprocessableDeliveries,
    components,
    recordDecision(signal: Signal, decision: Decision) {
      signals.inc({ source: signal.source, state: signal.state, applied: String(decision.applied) });
      for (const effect of decision.effects) {
        if (effect.type === 'state_changed') transitions.inc({ from: effect.from, to: effect.to });
      }
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

type RequestLabel = 'method' | 'route' | 'status';

/**
 * Observes a request's duration through a labelled child per method, route and status, looked up
 * in nested maps: no labels object, closure or status string per request (prom-client's
 * `observe(labels, value)` makes all three). Methods, routes (patterns, not paths) and statuses
 * are few, so the maps stay small.
 */
function requestObserver(histogram: Histogram<RequestLabel>) {
  const children = new Map<string, Map<string, Map<number, { observe(value: number): void }>>>();
  return {
    observe(method: string, route: string, status: number, seconds: number): void {
      let byRoute = children.get(method);
      if (!byRoute) {
        byRoute = new Map();
        children.set(method, byRoute);
      }
      let byStatus = byRoute.get(route);
      if (!byStatus) {
        byStatus = new Map();
        byRoute.set(route, byStatus);
      }
      let child = byStatus.get(status);
      if (!child) {
        child = histogram.labels(method, route, String(status));
        byStatus.set(status, child);
      }
      child.observe(seconds);
    },
  };
}
