import type { RequestContext, ResponseContext } from '@kubernetes/client-node';
import type { SqlRunner } from '../db/deployment-sql.ts';
import { findK8sCandidates } from '../db/k8s-lookups.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import type { Logger } from '../log.ts';
import type { SeenObject } from './correlation.ts';
import type { DiscoveredCluster } from './kubeconfig.ts';
import { LatestPerKey } from './latest-per-key.ts';
import { ResilientListWatch } from './list-watch.ts';
import { listInPages } from './paged-list.ts';
import { Recheck } from './recheck.ts';
import { createRolloutReporter, type Observed } from './rollout-reporter.ts';
import type { WatchMetricsRegistry } from './watch-metrics.ts';
import { kubeWatch } from './watch-stream.ts';
import { type WorkloadKind, workloadPath } from './workload-kinds.ts';

export interface WatcherOptions {
  cluster: DiscoveredCluster;
  /** The kinds of workload to watch. */
  kinds: WorkloadKind[];
  /** Namespaces to watch; empty: all. */
  namespaces: string[];
  idleTimeoutMs: number;
  resyncMs: number;
  sql: SqlRunner;
  store: LedgerStore;
  metrics: WatchMetricsRegistry;
  logger: Logger;
}

export interface WatcherHealth {
  status: 'ok' | 'degraded';
  cluster: string;
  pending: number;
  streams: Array<Record<string, unknown>>;
  [more: string]: unknown;
}

export interface K8sWatcher {
  health(): WatcherHealth;
  stop(): Promise<void>;
}

/**
 * Watches workloads (Deployments, StatefulSets, DaemonSets, Argo Rollouts where the CRD is
 * installed) and reports each rollout step of a correlated record to the ledger. Objects are
 * reported in batches (everything observed while the previous batch was being written, the
 * newest state per object). Several replicas may watch at once: the store decides every signal
 * under the environment's lock, so a step reported twice is recorded once as applied.
 */
export async function startK8sWatcher(options: WatcherOptions): Promise<K8sWatcher> {
  const { cluster, sql, store, logger } = options;
  // Already loaded by discoverCluster; imported here too so nothing loads it before a cluster is found.
  const { CustomObjectsApi, Observable } = await import('@kubernetes/client-node');
  const api = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
  /** Request options that abort a request on `signal` (client-node takes a signal from a middleware). */
  const abortingOn = (signal: AbortSignal) => ({
    middlewareMergeStrategy: 'append' as const,
    middleware: [
      {
        pre: (context: RequestContext) => {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
      },
    ],
  });
  const watch = kubeWatch(cluster.kubeConfig);
  // Each object's newest event, decoded only when its batch is taken.
  const queue = new LatestPerKey<{ kind: WorkloadKind; seen: SeenObject }>(
    (batch) => reporter.report(decoded(batch)),
    (keys, error, retryInMs) =>
      logger.warn(
        {
          objects: keys.length,
          object: keys[0],
          others: keys.slice(1, 10),
          err: error,
          retry_in_ms: retryInMs,
        },
        'kubernetes rollout not recorded yet: retried',
      ),
  );
  const recheck = new Recheck<{ kind: WorkloadKind; seen: SeenObject }>((key, item) => queue.push(key, item));
  const scopes = options.namespaces.length > 0 ? options.namespaces : [''];
  const streams = options.kinds.flatMap((kind) =>
    scopes.map(
      (scope) =>
        new ResilientListWatch({
          kind: kind.kind,
          optional: kind.optional,
          scope,
          path: workloadPath(kind, scope),
          list: (signal) =>
            listInPages(
              (page, pageSignal) => {
                const request = { group: kind.group, version: kind.version, plural: kind.plural, ...page };
                return scope
                  ? api.listNamespacedCustomObject({ ...request, namespace: scope }, abortingOn(pageSignal))
                  : api.listClusterCustomObject(request, abortingOn(pageSignal));
              },
              { timeoutMs: options.idleTimeoutMs, signal },
            ),
          watch,
          onObject(seen, event) {
            const key = `${kind.kind}/${seen.namespace}/${seen.name}`;
            if (event === 'deleted') {
              reporter.forget(key);
              recheck.settled(key);
              return;
            }
            const item = { kind, seen };
            queue.push(key, item);
            recheck.seen(key, item, event !== 'listed');
          },
          onEvent: (type) => metrics.event(kind.kind, scope, type),
          onWatchEnd: (end) => metrics.watchEnded(kind.kind, scope, end),
          idleTimeoutMs: options.idleTimeoutMs,
          resyncMs: options.resyncMs,
          logger,
        }),
    ),
  );
  const metrics = options.metrics.forCluster(cluster.name, {
    streams: () => streams.map((stream) => stream.health()),
    pending: () => queue.pending,
  });
  /** The batch's objects decoded; a line that is not JSON is skipped, as client-node's Watch skipped it. */
  function decoded(batch: Map<string, { kind: WorkloadKind; seen: SeenObject }>): Map<string, Observed> {
    const observed = new Map<string, Observed>();
    for (const [key, { kind, seen }] of batch) {
      try {
        observed.set(key, { kind, object: seen.object() });
      } catch (error) {
        logger.warn({ object: key, err: error }, 'kubernetes watch event is not JSON: skipped');
      }
    }
    return observed;
  }
  const reporter = createRolloutReporter({
    cluster: cluster.name,
    lookup: (keys, shas) => findK8sCandidates(sql, keys, shas),
    store,
    metrics,
    logger,
    onSettled: (key) => recheck.settled(key),
  });

  for (const stream of streams) stream.start();
  logger.info(
    {
      cluster: cluster.name,
      source: cluster.source,
      server: cluster.server,
      kinds: options.kinds.map((kind) => kind.kind),
      namespaces: options.namespaces.length ? options.namespaces : '*',
    },
    'kubernetes watcher started',
  );

  return {
    health() {
      const states = streams.map((stream) => stream.health());
      return {
        // A kind this cluster does not serve (no CRD) is not a fault.
        status: states.every((s) => s.status === 'watching' || s.status === 'absent') ? 'ok' : 'degraded',
        cluster: cluster.name,
        source: cluster.source,
        pending: queue.pending,
        streams: states.map((s) => ({
          cluster: cluster.name,
          kind: s.kind,
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
      recheck.stop();
      await Promise.all(streams.map((stream) => stream.stop()));
      await queue.stop();
    },
  };
}
