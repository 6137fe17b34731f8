import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Failure =
  | { status: number; headers?: Record<string, string> }
  /** Forwarded, and its answer cut mid-body: headers and half the body, then the connection reset. */
  | { cut: true };

export interface FlakyProxy {
  url: string;
  /** Every request that reached the proxy, in order, with what it answered. */
  requests: Array<{ method: string; path: string; answered: number }>;
  stop(): Promise<void>;
}

/**
 * Stands in front of the real server: answers the first requests with the given failures
 * (without forwarding them, but for a cut answer), then forwards everything.
 */
export async function startFlakyProxy(target: string, failures: Failure[]): Promise<FlakyProxy> {
  const planned = [...failures];
  const requests: FlakyProxy['requests'] = [];
  const upstream = new URL(target);
  const server = createServer((incoming, outgoing) => {
    const failure = planned.shift();
    if (failure && 'cut' in failure) return forward(incoming, outgoing, true);
    if (failure) {
      requests.push({ method: incoming.method ?? '', path: incoming.url ?? '', answered: failure.status });
      incoming.resume();
      outgoing.writeHead(failure.status, { 'content-type': 'text/plain', ...failure.headers });
      outgoing.end('unavailable');
      return;
    }
    forward(incoming, outgoing, false);
  });
  function forward(incoming: IncomingMessage, outgoing: ServerResponse, cut: boolean) {
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: upstream.host },
      },
      (answer) => {
        requests.push({
          method: incoming.method ?? '',
          path: incoming.url ?? '',
          answered: answer.statusCode ?? 0,
        });
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!cut) return answer.pipe(outgoing);
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          outgoing.write(body.subarray(0, body.length >> 1), () => outgoing.destroy());
        });
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
