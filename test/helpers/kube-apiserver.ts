import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListPages } from './kube-list-pages.ts';

/** A workload object as the API server stores it (JSON, as `kubectl get -o json` shows it). */
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON
export type KubeObject = Record<string, any>;

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: string;
  object: KubeObject;
  resourceVersion: number;
}

/** The resources the stand-in serves, as `group/version/plural`, by the `apiVersion` and `kind` of their objects. */
const RESOURCES: Record<string, string> = {
  'apps/v1 Deployment': 'apps/v1/deployments',
  'apps/v1 StatefulSet': 'apps/v1/statefulsets',
  'apps/v1 DaemonSet': 'apps/v1/daemonsets',
  'argoproj.io/v1alpha1 Rollout': 'argoproj.io/v1alpha1/rollouts',
};
const ARGO_ROLLOUTS = 'argoproj.io/v1alpha1/rollouts';
const RESOURCES_KIND: Record<string, string> = Object.fromEntries(
  Object.entries(RESOURCES).map(([key, resource]) => [resource, key.split(' ')[1] as string]),
);

export function resourceOf(object: KubeObject): string {
  const resource = RESOURCES[`${object.apiVersion} ${object.kind}`];
  if (!resource) throw new Error(`the stand-in does not serve ${object.apiVersion} ${object.kind}`);
  return resource;
}

interface OpenWatch {
  resource: string;
  namespace: string | null;
  bookmarks: boolean;
  response: ServerResponse;
  /** A stalled watch stays open but is never written to again. */
  stalled: boolean;
}

export interface KubeApiServer {
  url: string;
  /** A kubeconfig file for this server (http, so `insecure-skip-tls-verify: true`). */
  kubeconfigPath: string;
  readonly resourceVersion: number;
  /** The resourceVersion of the last change to objects of this kind (or of the list, before any). */
  resourceVersionOf(kind: string): number;
  /**
   * Requests seen, e.g. `list` and `watch` counts, to tell a resume from a relist (each page of a
   * list is a request); `abandonedLists`: stalled lists whose client gave up and closed the connection.
   */
  readonly requests: { list: number; watch: number; abandonedLists: number };
  /** Each list request's kind, `limit` (null: none) and whether it continued a paged list. */
  readonly lists: Array<{ kind: string; limit: string | null; continued: boolean }>;
  /** Once the next page that has a continue token is answered, etcd compacts: that token expires. */
  compactAfterNextPage(): void;
  /** Creates or replaces an object (Deployment, StatefulSet, DaemonSet, Rollout); open watches get ADDED or MODIFIED. */
  apply(object: KubeObject): KubeObject;
  /**
   * Keeps the changes apply() makes from the open watches until the returned release sends them all
   * at once: a burst made ready first, then streamed as the API server streams a watch's history.
   * No bookmark goes out meanwhile (its resourceVersion would be ahead of the held changes); errors,
   * lists and a new watch's history are not held.
   */
  hold(): () => void;
  /** Cuts every open watch connection mid-stream (a load balancer or network drop). */
  dropWatches(): void;
  /** Open watches go silent without closing (a half-dead connection). */
  stallWatches(): void;
  /** While stalled, a list request is never answered (an overloaded API server), until its client gives up. */
  stallLists(stalled: boolean): void;
  /** While down, every request is answered 503 (an API server restart). */
  setDown(down: boolean): void;
  /**
   * Forgets the history so far: a watch from an older resourceVersion than the current one gets
   * 410 Gone. The current one (what a list returns) can still be watched from, as on a real API server.
   * As etcd's compaction does, it also expires a paged list's continue tokens (410 Expired).
   */
  expireHistory(): void;
  /** Sends open watches an ERROR event with a 410 Status, then closes them. */
  expireWatches(): void;
  close(): Promise<void>;
}

const RESOURCE_PATH = /^\/apis\/([^/]+)\/([^/]+)\/(?:namespaces\/([^/]+)\/)?([^/]+)$/;

/**
 * A stand-in for kube-apiserver's workload endpoints (apps/v1 Deployments, StatefulSets and
 * DaemonSets, and Argo Rollouts when `argoRollouts` says its CRD is installed; anything else
 * is 404 as on a cluster without it), speaking the real protocol:
 * a list carries `metadata.resourceVersion` and is paged when asked (`limit`, `continue`:
 * kube-list-pages.ts); `?watch=true` answers a chunked stream of
 * newline-delimited JSON events, headers flushed at once, resuming after the requested
 * resourceVersion, with BOOKMARK events when asked (`allowWatchBookmarks`), and an ERROR event
 * carrying a 410 Status for a resourceVersion that is too old.
 */
export async function startKubeApiServer(
  options: { bookmarkEveryMs?: number; argoRollouts?: boolean } = {},
): Promise<KubeApiServer> {
  const served = new Set(Object.values(RESOURCES).filter((r) => r !== ARGO_ROLLOUTS || options.argoRollouts));
  const objects = new Map<string, KubeObject>();
  const lastChange = new Map<string, number>();
  let history: WatchEvent[] = [];
  let resourceVersion = 1000;
  let expiredThrough = 0;
  let down = false;
  const watches = new Set<OpenWatch>();
  const requests = { list: 0, watch: 0, abandonedLists: 0 };
  const pages = new ListPages<KubeObject>();
  const lists: KubeApiServer['lists'] = [];
  let listsStalled = false;
  let compactAfterPage = false;

  const inScope = (object: KubeObject, resource: string, namespace: string | null) =>
    resourceOf(object) === resource && (namespace === null || object.metadata.namespace === namespace);
  const send = (watch: OpenWatch, event: unknown) => {
    if (!watch.stalled) watch.response.write(`${JSON.stringify(event)}\n`);
  };
  // The changes apply() made while held, for the watches open then.
  let held: Array<[OpenWatch, unknown]> | null = null;

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const match = RESOURCE_PATH.exec(url.pathname);
    if (down) return status(response, 503, 'ServiceUnavailable', 'the server is shutting down');
    const resource = match ? `${match[1]}/${match[2]}/${match[4]}` : '';
    if (request.method !== 'GET' || !match || !served.has(resource))
      return status(response, 404, 'NotFound', 'the server could not find the requested resource');
    const namespace = match[3] ? decodeURIComponent(match[3]) : null;
    const watching = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    if (!watching) {
      requests.list++;
      const { searchParams } = url;
      lists.push({
        kind: RESOURCES_KIND[resource] as string,
        limit: searchParams.get('limit'),
        continued: searchParams.has('continue'),
      });
      if (listsStalled) {
        request.on('close', () => requests.abandonedLists++);
        return;
      }
      const inScopeNow = () => [...objects.values()].filter((object) => inScope(object, resource, namespace));
      const page = pages.answer(inScopeNow, resourceVersion, searchParams);
      if (page?.continue && compactAfterPage) {
        compactAfterPage = false;
        pages.compact();
      }
      if (!page) {
        return status(
          response,
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      return json(response, 200, {
        kind: `${RESOURCES_KIND[resource]}List`,
        apiVersion: `${match[1]}/${match[2]}`,
        metadata: {
          resourceVersion: String(page.resourceVersion),
          ...(page.continue ? { continue: page.continue, remainingItemCount: page.remainingItemCount } : {}),
        },
        items: page.items,
      });
    }
    requests.watch++;
    openWatch(request, response, resource, namespace, url.searchParams);
  });

  function openWatch(
    request: IncomingMessage,
    response: ServerResponse,
    resource: string,
    namespace: string | null,
    query: URLSearchParams,
  ) {
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    response.flushHeaders();
    const watch: OpenWatch = {
      resource,
      namespace,
      bookmarks: query.get('allowWatchBookmarks') === 'true',
      response,
      stalled: false,
    };
    const from = query.get('resourceVersion');
    // History keeps the events after expiredThrough: a watch from there on misses nothing.
    if (from && from !== '0' && Number(from) < expiredThrough) {
      send(watch, {
        type: 'ERROR',
        object: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `too old resource version: ${from} (${expiredThrough})`,
          reason: 'Expired',
          code: 410,
        },
      });
      response.end();
      return;
    }
    if (!from || from === '0') {
      for (const object of objects.values())
        if (inScope(object, resource, namespace)) send(watch, { type: 'ADDED', object });
    } else {
      for (const event of history) {
        if (event.resourceVersion > Number(from) && inScope(event.object, resource, namespace)) {
          send(watch, { type: event.type, object: event.object });
        }
      }
    }
    watches.add(watch);
    request.on('close', () => watches.delete(watch));
  }

  const bookmarkTimer = options.bookmarkEveryMs
    ? setInterval(() => {
        if (held) return;
        for (const watch of watches) {
          if (watch.bookmarks) {
            send(watch, {
              type: 'BOOKMARK',
              object: {
                kind: RESOURCES_KIND[watch.resource],
                apiVersion: watch.resource.split('/').slice(0, 2).join('/'),
                metadata: { resourceVersion: String(resourceVersion) },
              },
            });
          }
        }
      }, options.bookmarkEveryMs)
    : undefined;

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfigPath = path.join(mkdtempSync(path.join(tmpdir(), 'kubeconfig-')), 'config');
  writeFileSync(kubeconfigPath, kubeconfig(url));

  return {
    url,
    kubeconfigPath,
    get resourceVersion() {
      return resourceVersion;
    },
    requests,
    lists,
    compactAfterNextPage() {
      compactAfterPage = true;
    },
    resourceVersionOf(kind) {
      const resource = Object.keys(RESOURCES_KIND).find((candidate) => RESOURCES_KIND[candidate] === kind);
      return lastChange.get(resource ?? '') ?? 0;
    },
    apply(object) {
      const resource = resourceOf(object);
      const key = `${resource}/${object.metadata.namespace}/${object.metadata.name}`;
      const existing = objects.get(key);
      const stored: KubeObject = structuredClone(object);
      stored.metadata.uid = existing?.metadata.uid ?? stored.metadata.uid ?? randomUUID();
      stored.metadata.resourceVersion = String(++resourceVersion);
      objects.set(key, stored);
      lastChange.set(resource, resourceVersion);
      const event: WatchEvent = {
        type: existing ? 'MODIFIED' : 'ADDED',
        resource,
        object: stored,
        resourceVersion,
      };
      history.push(event);
      for (const watch of watches) {
        if (!inScope(stored, watch.resource, watch.namespace)) continue;
        const change = { type: event.type, object: stored };
        if (held) held.push([watch, change]);
        else send(watch, change);
      }
      return stored;
    },
    hold() {
      held ??= [];
      return () => {
        const sending = held ?? [];
        held = null;
        for (const [watch, change] of sending) if (!watch.response.writableEnded) send(watch, change);
      };
    },
    dropWatches() {
      for (const watch of watches) watch.response.destroy();
      watches.clear();
    },
    stallWatches() {
      for (const watch of watches) watch.stalled = true;
    },
    stallLists(stalled) {
      listsStalled = stalled;
    },
    setDown(value) {
      down = value;
    },
    expireHistory() {
      expiredThrough = resourceVersion;
      history = [];
      pages.compact();
    },
    expireWatches() {
      for (const watch of watches) {
        send(watch, {
          type: 'ERROR',
          object: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            reason: 'Expired',
            code: 410,
          },
        });
        watch.response.end();
      }
      watches.clear();
    },
    async close() {
      clearInterval(bookmarkTimer);
      for (const watch of watches) watch.response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(response: ServerResponse, code: number, body: unknown) {
  response.writeHead(code, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function status(response: ServerResponse, code: number, reason: string, message: string) {
  json(response, code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });
}

function kubeconfig(server: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'stand-in', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'watcher', user: { token: 'stand-in-token' } }],
    contexts: [{ name: 'stand-in', context: { cluster: 'stand-in', user: 'watcher' } }],
    'current-context': 'stand-in',
  });
}
