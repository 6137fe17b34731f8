import http, { STATUS_CODES } from 'node:http';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import type { KubeConfig } from '@kubernetes/client-node';
import { namesRead, peekWatchEvent } from './watch-event-peek.ts';

/** One watch event: its type and its object's names, the object itself decoded when asked. */
export interface WatchEvent {
  type: string;
  namespace: string | undefined;
  name: string | undefined;
  resourceVersion: string | undefined;
  /** The event's object, decoded on the first call; throws when the line is not JSON. */
  object(): unknown;
}

export type WatchParams = Record<string, string | number | boolean | undefined>;

/** Opens a watch: events until it ends, then `done` once (null, or why). */
export interface WatchTransport {
  watch(
    path: string,
    params: WatchParams,
    onEvent: (event: WatchEvent) => void,
    done: (error: unknown) => void,
  ): Promise<AbortController>;
}

interface Named {
  metadata?: { namespace?: string; name?: string; resourceVersion?: string };
}

/** An event whose object is decoded already (a test's, or a line that could not be peeked). */
export function decodedEvent(type: string, object: unknown): WatchEvent {
  const metadata = (object as Named | null)?.metadata ?? {};
  const { namespace, name, resourceVersion } = metadata;
  return { type, namespace, name, resourceVersion, object: () => object };
}

/** The watch events that carry an object, and what a list-watch calls each. */
export const OBJECT_EVENTS = { ADDED: 'added', MODIFIED: 'modified', DELETED: 'deleted' } as const;

/**
 * A line of the stream as an event: an object's event is peeked and its object decoded on demand
 * (once); anything else (a bookmark, an error, a line whose names could not be read) is decoded
 * now. Null for a line that is not JSON, which client-node's Watch skipped too.
 */
export function lineEvent(line: string): WatchEvent | null {
  const peeked = peekWatchEvent(line);
  if (peeked && Object.hasOwn(OBJECT_EVENTS, peeked.type) && namesRead(peeked)) {
    let text: string | null = line;
    let object: unknown;
    return {
      ...peeked,
      object() {
        if (text !== null) {
          object = (JSON.parse(text) as { object?: unknown }).object;
          text = null; // the stream's chunk the line was cut from is not kept any longer
        }
        return object;
      },
    };
  }
  try {
    const event = JSON.parse(line) as { type?: unknown; object?: unknown };
    return typeof event.type === 'string' ? decodedEvent(event.type, event.object) : null;
  } catch {
    return null;
  }
}

/**
 * Watches over the kubeconfig's connection and credentials, as client-node's Watch does, but
 * hands over each line's event undecoded (lineEvent): client-node's Watch decoded every line,
 * and a burst keeps only each object's newest.
 */
export function kubeWatch(kubeConfig: KubeConfig): WatchTransport {
  return {
    async watch(path, params, onEvent, done) {
      const cluster = kubeConfig.getCurrentCluster();
      if (!cluster) throw new Error('No currently active cluster');
      const url = new URL(cluster.server + path);
      url.searchParams.set('watch', 'true');
      for (const [key, value] of Object.entries(params))
        if (value !== undefined) url.searchParams.set(key, String(value));
      const options: https.RequestOptions = {};
      await kubeConfig.applyToHTTPSOptions(options);
      const controller = new AbortController();
      let ended = false;
      const end = (error: unknown) => {
        if (ended) return;
        ended = true;
        controller.abort();
        done(error);
      };
      const client = url.protocol === 'https:' ? https : http;
      const request = client.request(url, { ...options, method: 'GET', signal: controller.signal });
      request.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
      request.on('error', end);
      request.on('response', (response) => {
        if (response.statusCode !== 200) {
          const status = response.statusCode ?? 500;
          const error = new Error(response.statusMessage || STATUS_CODES[status] || 'Internal Server Error');
          response.resume();
          end(Object.assign(error, { statusCode: status }));
          return;
        }
        const decoder = new StringDecoder('utf8');
        let rest = '';
        const lines = (text: string) => {
          let start = 0;
          for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
            const line = text.slice(start, text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline);
            start = newline + 1;
            if (ended) return '';
            const event = line.length > 0 ? lineEvent(line) : null;
            if (event) onEvent(event);
          }
          return text.slice(start);
        };
        response.on('data', (chunk: Buffer) => {
          rest = lines(rest + decoder.write(chunk));
        });
        response.on('end', () => {
          lines(`${rest}${decoder.end()}\n`);
          end(null);
        });
        response.on('error', end);
        response.on('close', () => end(null));
      });
      request.end();
      return controller;
    },
  };
}
