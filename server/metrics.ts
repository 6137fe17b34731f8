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
  const httpRequests = metric.histogram(
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
    httpRequests,
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
