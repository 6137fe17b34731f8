// The Kubernetes producer: watches workloads (Deployments, StatefulSets, DaemonSets, Argo
// Rollouts) and reports their rollouts to the ledger.

import type { Config } from '../config.ts';
import type { SqlRunner } from '../db/deployment-sql.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { discoverCluster } from './kubeconfig.ts';
import { type K8sWatcher, startK8sWatcher } from './watcher.ts';
import { WORKLOADS } from './workload-kinds.ts';

export type { K8sWatcher } from './watcher.ts';

const RESYNC_MS = 10 * 60_000;

/** Starts the watcher when a cluster is configured (and not switched off); null otherwise. */
export function startK8sWatcherIfConfigured(
  config: Config,
  deps: { sql: SqlRunner; store: LedgerStore; metrics: Metrics; logger: Logger },
): K8sWatcher | null {
  const cluster =
    config.DEPLOYLEDGER_K8S_WATCH === 'off'
      ? null
      : discoverCluster({
          explicitPath: config.DEPLOYLEDGER_KUBECONFIG,
          kubeconfigEnv: config.KUBECONFIG,
          serviceHost: process.env.KUBERNETES_SERVICE_HOST,
        });
  if (!cluster) {
    deps.logger.info('kubernetes watcher off: no cluster configured');
    deps.metrics.components.set('kubernetes', () => ({ status: 'off' }));
    return null;
  }
  const watcher = startK8sWatcher({
    cluster,
    kinds: config.DEPLOYLEDGER_K8S_KINDS.map((kind) => WORKLOADS[kind]),
    namespaces: config.DEPLOYLEDGER_K8S_NAMESPACES,
    idleTimeoutMs: config.DEPLOYLEDGER_K8S_IDLE_TIMEOUT_MS,
    resyncMs: RESYNC_MS,
    sql: deps.sql,
    store: deps.store,
    registry: deps.metrics.registry,
    logger: deps.logger,
  });
  deps.metrics.components.set('kubernetes', () => watcher.health());
  return watcher;
}
