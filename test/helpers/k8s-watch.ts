import type { KubeApiServer } from './kube-apiserver.ts';
import type { RunningServer } from './server.ts';

/** Settings for a server watching the stand-in: its kubeconfig through KUBECONFIG, as kubectl reads it. */
export function watcherEnv(apiserver: KubeApiServer): Record<string, string> {
  return { KUBECONFIG: apiserver.kubeconfigPath, DEPLOYLEDGER_K8S_IDLE_TIMEOUT_MS: '4000' };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface WatcherHealth {
  status: string;
  pending: number;
  streams: Array<{ kind: string; status: string; resource_version: string }>;
}

/** Resolves once the server's watcher (per /readyz) has seen and handled everything the API server has. */
export async function watcherCaughtUp(
  server: RunningServer,
  apiserver: KubeApiServer,
): Promise<WatcherHealth> {
  return waitFor('the watcher to catch up', async () => {
    const body = (await (await fetch(`${server.url}/readyz`)).json()) as { kubernetes?: WatcherHealth };
    const health = body.kubernetes;
    // Each stream has seen the last change to its kind (a kind whose CRD is not installed is absent).
    const caughtUp = (stream: WatcherHealth['streams'][number]) =>
      stream.status === 'absent' ||
      (stream.status === 'watching' &&
        Number(stream.resource_version) >= apiserver.resourceVersionOf(stream.kind));
    return health?.pending === 0 && health.streams.every(caughtUp) && health;
  });
}

export interface TimelineEvent {
  source: string;
  state: string;
  applied: boolean;
  reason: string | null;
  detail: Record<string, unknown>;
  occurred_at: string;
}

export function k8sEvents(record: { events: TimelineEvent[] }): TimelineEvent[] {
  return record.events.filter((event) => event.source === 'k8s');
}

/** A metric's value summed over the series whose labels include all of `labels`. */
export async function metricValue(server: RunningServer, name: string, labels: Record<string, string> = {}) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}
