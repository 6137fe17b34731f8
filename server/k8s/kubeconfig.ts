import { existsSync } from 'node:fs';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubeConfigSettings {
  /** `DEPLOYLEDGER_KUBECONFIG`: one kubeconfig file, like `kubectl --kubeconfig`. */
  explicitPath?: string | undefined;
  /** `KUBECONFIG`: kubectl's list of files (`:`-separated), merged, the first one's context wins. */
  kubeconfigEnv?: string | undefined;
  /** Set by Kubernetes in every pod. */
  serviceHost?: string | undefined;
  serviceAccountTokenPath?: string;
  /** `DEPLOYLEDGER_K8S_CONTEXTS`: with contexts named, the configuration needs no current one. */
  contexts?: string[] | undefined;
}

export interface DiscoveredCluster {
  /** The cluster's name on every signal: DEPLOYLEDGER_CLUSTER, else the context's name. */
  name: string;
  kubeConfig: KubeConfig;
  /** Where the configuration came from, for logs and /readyz. */
  source: string;
  server: string;
}

/**
 * The cluster to watch, found the way kubectl finds it: an explicit file, else `KUBECONFIG`,
 * else the pod's service account (client-go's in-cluster config). Null when none is
 * configured: the watcher stays off. `~/.kube/config` alone does not switch it on, so a
 * developer's `npm start` never starts watching whatever cluster their kubectl points at.
 */
export async function discoverCluster(settings: KubeConfigSettings): Promise<DiscoveredCluster | null> {
  const inCluster =
    Boolean(settings.serviceHost) && existsSync(settings.serviceAccountTokenPath ?? SERVICE_ACCOUNT_TOKEN);
  if (!settings.explicitPath && !settings.kubeconfigEnv && !inCluster) return null;
  // Loaded only when a cluster is configured: the client library alone adds ~80 MiB RSS.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  let source: string;
  if (settings.explicitPath) {
    kubeConfig.loadFromFile(settings.explicitPath);
    source = `file ${settings.explicitPath}`;
  } else if (settings.kubeconfigEnv) {
    const [first, ...more] = settings.kubeconfigEnv.split(path.delimiter).filter(Boolean);
    if (first) kubeConfig.loadFromFile(first);
    for (const file of more) {
      const next = new KubeConfig();
      next.loadFromFile(file);
      // As kubectl: the first file that sets a current context chooses it.
      kubeConfig.mergeConfig(next, Boolean(kubeConfig.getCurrentContext()));
    }
    source = `KUBECONFIG ${settings.kubeconfigEnv}`;
  } else if (inCluster) {
    kubeConfig.loadFromCluster();
    source = 'in-cluster service account';
  } else {
    return null;
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster && !settings.contexts?.length)
    throw new Error(
      `Kubernetes configuration from ${source} has no current context/cluster: set one, or name the contexts to watch in DEPLOYLEDGER_K8S_CONTEXTS`,
    );
  return { name: kubeConfig.getCurrentContext(), kubeConfig, source, server: cluster?.server ?? '' };
}

/**
 * The clusters to watch in a discovered configuration: each named context (one watcher each, the
 * context's name the cluster's), else its current one, named `name` when given.
 */
export async function clustersOf(
  discovered: DiscoveredCluster,
  options: { contexts: string[]; name?: string | undefined },
): Promise<DiscoveredCluster[]> {
  if (options.contexts.length === 0) return [{ ...discovered, name: options.name ?? discovered.name }];
  const { KubeConfig } = await import('@kubernetes/client-node');
  const all = discovered.kubeConfig;
  return options.contexts.map((context) => {
    if (!all.getContextObject(context))
      throw new Error(
        `DEPLOYLEDGER_K8S_CONTEXTS names the context ${context}, which ${discovered.source} does not have`,
      );
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: all.clusters,
      users: all.users,
      contexts: all.contexts,
      currentContext: context,
    });
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error(`The context ${context} in ${discovered.source} names no cluster`);
    return {
      name: context,
      kubeConfig,
      source: `${discovered.source} context ${context}`,
      server: cluster.server,
    };
  });
}
