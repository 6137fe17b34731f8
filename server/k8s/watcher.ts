import { AppsV1Api, type V1Deployment, Watch } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import { findByKey } from '../db/deployments.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { findActiveBySha, lastK8sObservation } from '../db/k8s-lookups.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import { isTerminal } from '../ledger/index.ts';
import type { Logger } from '../log.ts';
import { type CorrelationLookup, correlate, objectRef } from './correlation.ts';
import type { DiscoveredCluster } from './kubeconfig.ts';
import { LatestPerKey } from './latest-per-key.ts';
import { ResilientListWatch } from './list-watch.ts';
import { observeRollout } from './rollout-signal.ts';
import { createWatchMetrics, type ObservationOutcome } from './watch-metrics.ts';

export interface WatcherOptions {
  cluster: DiscoveredCluster;
  /** Namespaces to watch; empty: all. */
  namespaces: string[];
  idleTimeoutMs: number;
  resyncMs: number;
  prisma: PrismaClient;
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
 * ledger. Several replicas may watch at once: the store decides every signal under the
 * environment's lock, so a step reported twice is recorded once as applied.
 */
export function startK8sWatcher(options: WatcherOptions): K8sWatcher {
  const { cluster, prisma, store, logger } = options;
  const api = cluster.kubeConfig.makeApiClient(AppsV1Api);
  const watch = new Watch(cluster.kubeConfig);
  const lookup: CorrelationLookup = {
    byKey: (repository, environment, key) => findByKey(prisma, repository, environment, key),
    activeBySha: (shas) => findActiveBySha(prisma, shas),
  };
  const loggedUnreported = new Map<string, string>();

  const queue = new LatestPerKey<V1Deployment>(handle, (key, error, retryInMs) =>
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
          if (event === 'deleted') loggedUnreported.delete(`${namespace}/${name}`);
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

  async function handle(deployment: V1Deployment): Promise<void> {
    const observation = observeRollout(deployment);
    const { step } = observation.status;
    const ref = objectRef(deployment);
    const object = `${ref.namespace}/${ref.name}`;
    const correlation = await correlate(deployment, lookup);
    if (correlation.kind !== 'matched') {
      const outcome: ObservationOutcome = correlation.kind;
      metrics.observed(step, outcome);
      // Log each object's situation once, not on every resync.
      const situation = `${observation.key}:${correlation.kind === 'ambiguous' ? correlation.candidates.join(',') : ''}`;
      if (loggedUnreported.get(object) === situation) return;
      loggedUnreported.set(object, situation);
      if (correlation.kind === 'ambiguous') {
        logger.warn(
          { ...ref, step, candidate_deployment_ids: correlation.candidates },
          'kubernetes deployment matches several active records by image: not recorded',
        );
      } else {
        logger.debug({ ...ref, step, why: correlation.why }, 'kubernetes deployment not linked to a record');
      }
      return;
    }
    loggedUnreported.delete(object);
    const { record } = correlation;
    // A finished record only learns how its rollout ended: when it completed (the cluster's
    // time may be earlier than the one it was told), or that it failed if it was never
    // deployed (a record superseded mid-rollout: the protection gate waits for that news).
    // Waiting steps after the end (a scale, an HPA) are not its story.
    const rollout = observation.status.outcome;
    const ending = rollout === 'complete' || (rollout === 'failed' && record.deployedAt === null);
    if (isTerminal(record.state) && !ending) {
      return metrics.observed(step, 'record_finished');
    }
    if ((await lastK8sObservation(prisma, record.id)) === observation.key) {
      return metrics.observed(step, 'already_reported');
    }
    const result = await store.apply(record.id, observation.signal);
    metrics.observed(step, 'reported');
    logger.info(
      {
        deployment_id: record.id,
        ...ref,
        revision: observation.signal.k8s?.revision ?? null,
        step,
        matched_by: correlation.by,
        applied: result?.applied ?? false,
        reason: result?.reason ?? null,
      },
      'kubernetes rollout step recorded',
    );
  }

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
