import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Decision, Signal } from './ledger/index.ts';

/** The server's Prometheus metrics, on one registry per process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'deployledger_' });
  const httpRequests = new Histogram({
    name: 'deployledger_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const signals = new Counter({
    name: 'deployledger_signals_total',
    help: 'Signals decided by the ledger core, by source, state and whether they were applied',
    labelNames: ['source', 'state', 'applied'] as const,
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'deployledger_state_transitions_total',
    help: 'Deployment state transitions',
    labelNames: ['from', 'to'] as const,
    registers: [registry],
  });
  const unprocessableDeliveries = new Counter({
    name: 'deployledger_webhook_deliveries_unprocessable_total',
    help: 'Signed GitHub deliveries kept but never applied: their payload holds text that cannot be stored (NUL bytes, lone surrogates)',
    labelNames: ['event'] as const,
    registers: [registry],
  });
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
