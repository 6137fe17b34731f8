import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from './k8s-watch.ts';
import { type KubeApiServer, startKubeApiServer } from './kube-apiserver.ts';
import type { RunningServer } from './server.ts';

/** Several API server stand-ins, one per cluster, and one kubeconfig holding a context for each. */
export interface StandInClusters {
  byName: Record<string, KubeApiServer>;
  kubeconfigPath: string;
  close(): Promise<void>;
}

export async function startClusters(names: string[]): Promise<StandInClusters> {
  const byName: Record<string, KubeApiServer> = {};
  for (const name of names) byName[name] = await startKubeApiServer({ bookmarkEveryMs: 1000 });
  const kubeconfigPath = path.join(mkdtempSync(path.join(tmpdir(), 'kubeconfig-clusters-')), 'config');
  writeFileSync(
    kubeconfigPath,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: names.map((name) => ({
        name,
        cluster: { server: byName[name]?.url, 'insecure-skip-tls-verify': true },
      })),
      users: [{ name: 'watcher', user: { token: 'stand-in-token' } }],
      contexts: names.map((name) => ({ name, context: { cluster: name, user: 'watcher' } })),
      'current-context': names[0],
    }),
  );
  return {
    byName,
    kubeconfigPath,
    close: async () => {
      await Promise.all(Object.values(byName).map((apiserver) => apiserver.close()));
    },
  };
}

interface Stream {
  cluster: string;
  kind: string;
  status: string;
  resource_version: string;
}

/** Resolves once every cluster's watcher (per /readyz) has seen and handled everything its API server has. */
export function clustersCaughtUp(server: RunningServer, clusters: StandInClusters) {
  return waitFor('every cluster watcher to catch up', async () => {
    const body = (await (await fetch(`${server.url}/readyz`)).json()) as {
      kubernetes?: { pending: number; streams: Stream[] };
    };
    const health = body.kubernetes;
    const caughtUp = (stream: Stream) => {
      const apiserver = clusters.byName[stream.cluster];
      return (
        stream.status === 'absent' ||
        (stream.status === 'watching' &&
          apiserver !== undefined &&
          Number(stream.resource_version) >= apiserver.resourceVersionOf(stream.kind))
      );
    };
    return health?.pending === 0 && health.streams.every(caughtUp) && health;
  });
}
