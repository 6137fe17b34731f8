import { AppsV1Api, type V1Deployment, Watch } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { SqlRunner } from '../db/deployment-sql.ts';
import { findK8sCandidates } from '../db/k8s-correlation.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import type { Logger } from '../log.ts';
import { objectRef } from './correlation.ts';
import type { DiscoveredCluster } from './kubeconfig.ts';
import { LatestPerKey } from './latest-per-key.ts';
import { ResilientListWatch } from './list-watch.ts';
import { createRolloutReporter } from './rollout-reporter.ts';
import { observeRollout } from './rollout-signal.ts';
import { createWatchMetrics } from './watch-metrics.ts';

export interface WatcherOptions {
  cluster: DiscoveredCluster;
  /** Namespaces to watch; empty: all. */
  namespaces: string[];
  idleTimeoutMs: number;
  resyncMs: number;
  sql: SqlRunner;
  store: LedgerStore;
  registry: Registry;
  logger: Logger;
}

export interface K8sWatcher {
  health(): Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * Watches apps/v1 Deployments and reports each rollout step of a correlated record to the
 * ledger. Objects are reported in batches (everything observed while the previous batch was being
 * written, the newest state per object). Several replicas may watch at once: the store decides
 * every signal under the environment's lock, so a step reported twice is recorded once as applied.
 */
export function startK8sWatcher(options: WatcherOptions): K8sWatcher {
  const { cluster, sql, store, logger } = options;
  const api = cluster.kubeConfig.makeApiClient(AppsV1Api);
  const watch = new Watch(cluster.kubeConfig);
  const queue = new LatestPerKey<V1Deployment>(
    (batch) => reporter.report(batch),
    (key, error, retryInMs) =>
      logger.warn({ object: key, err: error, retry_in_ms: retryInMs }, 'kubernetes rollout not recorded yet'),
  );
  const scopes = options.namespaces.length > 0 ? options.namespaces : [''];
  const streams = scopes.map(
    (scope) =>
      new ResilientListWatch({
        scope,
        path: scope
          ? `/apis/apps/v1/namespaces/${encodeURIComponent(scope)}/deployments`
          : '/apis/apps/v1/deployments',
        list: async () => {
          const list = scope
            ? await api.listNamespacedDeployment({ namespace: scope })
            : await api.listDeploymentForAllNamespaces();
          return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
        },
        watch,
        onObject(deployment, event) {
          const { namespace, name } = objectRef(deployment);
          if (event === 'deleted') reporter.forget(`${namespace}/${name}`);
          else queue.push(`${namespace}/${name}`, deployment);
        },
        onEvent: (type) => metrics.event(scope, type),
        onWatchEnd: (end) => metrics.watchEnded(scope, end),
        idleTimeoutMs: options.idleTimeoutMs,
        resyncMs: options.resyncMs,
        logger,
      }),
  );
  const metrics = createWatchMetrics(
    options.registry,
    () => streams.map((stream) => stream.health()),
    () => queue.pending,
  );
  const reporter = createRolloutReporter({
    observe: (object) => observeRollout(object as V1Deployment),
    lookup: (keys, shas) => findK8sCandidates(sql, keys, shas),
    store,
    metrics,
    logger,
  });

  for (const stream of streams) stream.start();
  logger.info(
    {
      source: cluster.source,
      server: cluster.server,
      namespaces: options.namespaces.length ? options.namespaces : '*',
    },
    'kubernetes watcher started',
  );

  return {
    health() {
      const states = streams.map((stream) => stream.health());
      return {
        status: states.every((s) => s.status === 'watching') ? 'ok' : 'degraded',
        source: cluster.source,
        pending: queue.pending,
        streams: states.map((s) => ({
          scope: s.scope,
          status: s.status,
          resource_version: s.resourceVersion,
          last_event_at: s.lastEventAt?.toISOString() ?? null,
          last_list_at: s.lastListAt?.toISOString() ?? null,
          last_error: s.lastError,
        })),
      };
    },
    async stop() {
      await Promise.all(streams.map((stream) => stream.stop()));
      await queue.stop();
    },
  };
}
