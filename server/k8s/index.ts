// The Kubernetes producer: watches workloads (Deployments, StatefulSets, DaemonSets, Argo
// Rollouts) in one or several clusters and reports their rollouts to the ledger.

import type { Config } from '../config.ts';
import type { SqlRunner } from '../db/deployment-sql.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { clustersOf, discoverCluster } from './kubeconfig.ts';
import { createWatchMetrics } from './watch-metrics.ts';
import { type K8sWatcher, startK8sWatcher } from './watcher.ts';
import { WORKLOADS } from './workload-kinds.ts';

export type { K8sWatcher } from './watcher.ts';

const RESYNC_MS = 10 * 60_000;

/**
 * Starts a watcher per configured cluster (each context of DEPLOYLEDGER_K8S_CONTEXTS, else the
 * configuration's current one) unless switched off; null when no cluster is configured.
 */
export async function startK8sWatcherIfConfigured(
  config: Config,
  deps: { sql: SqlRunner; store: LedgerStore; metrics: Metrics; logger: Logger },
): Promise<K8sWatcher | null> {
  if (config.DEPLOYLEDGER_K8S_CONTEXTS.length > 0 && config.DEPLOYLEDGER_CLUSTER)
    throw new Error(
      'Set DEPLOYLEDGER_K8S_CONTEXTS (one watcher per context, named after it) or DEPLOYLEDGER_CLUSTER (this server watches one cluster of that name), not both.',
    );
  const discovered =
    config.DEPLOYLEDGER_K8S_WATCH === 'off'
      ? null
      : await discoverCluster({
          explicitPath: config.DEPLOYLEDGER_KUBECONFIG,
          kubeconfigEnv: config.KUBECONFIG,
          serviceHost: process.env.KUBERNETES_SERVICE_HOST,
          contexts: config.DEPLOYLEDGER_K8S_CONTEXTS,
        });
  if (!discovered) {
    deps.logger.info('kubernetes watcher off: no cluster configured');
    deps.metrics.components.set('kubernetes', () => ({ status: 'off' }));
    return null;
  }
  const clusters = await clustersOf(discovered, {
    contexts: config.DEPLOYLEDGER_K8S_CONTEXTS,
    name: config.DEPLOYLEDGER_CLUSTER,
  });
  const metrics = createWatchMetrics(deps.metrics.registry);
  const watchers = await Promise.all(
    clusters.map((cluster) =>
      startK8sWatcher({
        cluster,
        kinds: config.DEPLOYLEDGER_K8S_KINDS.map((kind) => WORKLOADS[kind]),
        namespaces: config.DEPLOYLEDGER_K8S_NAMESPACES,
        idleTimeoutMs: config.DEPLOYLEDGER_K8S_IDLE_TIMEOUT_MS,
        resyncMs: RESYNC_MS,
        sql: deps.sql,
        store: deps.store,
        metrics,
        logger: deps.logger.child({ cluster: cluster.name }),
      }),
    ),
  );
  const watcher = combined(watchers);
  deps.metrics.components.set('kubernetes', () => watcher.health());
  return watcher;
}

/** Several clusters' watchers as one: `/readyz` lists every stream with its cluster. */
function combined(watchers: K8sWatcher[]): K8sWatcher {
  if (watchers.length === 1) return watchers[0] as K8sWatcher;
  return {
    health() {
      const each = watchers.map((watcher) => watcher.health());
      return {
        status: each.every((health) => health.status === 'ok') ? 'ok' : 'degraded',
        cluster: each.map((health) => health.cluster).join(','),
        clusters: each.map(({ streams: _streams, ...cluster }) => cluster),
        pending: each.reduce((sum, health) => sum + health.pending, 0),
        streams: each.flatMap((health) => health.streams),
      };
    },
    async stop() {
      await Promise.all(watchers.map((watcher) => watcher.stop()));
    },
  };
}
