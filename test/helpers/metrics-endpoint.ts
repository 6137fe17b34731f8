import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A metrics endpoint for sampling tests, on 127.0.0.1:
 * - /metrics: Prometheus text; each answer's request counter is one higher;
 * - /together: the same, but answers only once two requests are waiting (or after 2 s), so two
 *   collectors are sure to sample at the same moment;
 * - /json: the same numbers as JSON;
 * - /hang: never answers; /huge: streams 10 MB.
 */
export async function startMetricsEndpoint() {
  const hits: Record<string, number> = {};
  let served = 0;
  const waiting: Array<() => void> = [];
  const prometheus = () => {
    served += 1;
    return `# HELP app_requests_total Requests.\n# TYPE app_requests_total counter\napp_requests_total{code="200"} ${100 * served}\napp_requests_total{code="500"} ${served}\n# TYPE app_latency_seconds gauge\napp_latency_seconds 0.25\n`;
  };
  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    hits[path] = (hits[path] ?? 0) + 1;
    if (path === '/metrics') response.end(prometheus());
    else if (path === '/json') {
      served += 1;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ requests: { ok: 100 * served, failed: served }, latency_seconds: 0.25 }));
    } else if (path === '/together') {
      const answer = () => response.end(prometheus());
      waiting.push(answer);
      if (waiting.length >= 2) for (const release of waiting.splice(0)) release();
      else
        setTimeout(
          () => waiting.includes(answer) && waiting.splice(waiting.indexOf(answer), 1) && answer(),
          2_000,
        );
    } else if (path === '/hang') {
      // never answers
    } else if (path === '/huge') {
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const write = () => {
        while (sent < 10 * 1024 * 1024) {
          sent += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', write);
        }
        response.end();
      };
      write();
    } else {
      response.statusCode = 404;
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
