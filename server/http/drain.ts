import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';

/** How long the server must have had no new connection or request before shutdown closes idle ones. */
const QUIET_MS = 250;

/**
 * Shutdown's first step for the HTTP server. Node's `http.Server.close()` closes every connection
 * without a request in progress at once, and a connection accepted a moment ago whose request has
 * not been read yet counts as one: a client that connected just before SIGTERM got a reset for a
 * request it had already sent. Installed before the server listens.
 */
export function watchConnections(server: Server) {
  let lastSeen = Date.now();
  let stopping = false;
  const seen = () => {
    lastSeen = Date.now();
  };
  server.on('connection', seen);
  // First in line, before the app writes its answer: while stopping, each answer ends its connection.
  server.prependListener('request', (_request, response) => {
    lastSeen = Date.now();
    if (stopping) response.setHeader('connection', 'close');
  });

  return {
    /**
     * Stops accepting connections and answers what arrives on the open ones, each answer closing
     * its connection. Once nothing new has come for a moment and `busy()` is false, the idle
     * connections are closed; at `withinMs` at the latest. Requests still running are left to
     * finish (the caller waits for them).
     */
    async drain(withinMs: number, busy: () => boolean): Promise<void> {
      stopping = true;
      const deadline = Date.now() + withinMs;
      // net.Server's close: no new connections, but unlike http's, the accepted ones are kept.
      let ended = false;
      NetServer.prototype.close.call(server, () => {
        ended = true;
      });
      while (!ended && Date.now() < deadline) {
        // Checked after a poll phase, so bytes that came while the loop was busy count as seen.
        await new Promise((resolve) => setTimeout(resolve, 25));
        await new Promise((resolve) => setImmediate(resolve));
        if (!busy() && Date.now() - lastSeen >= QUIET_MS) break;
      }
      server.closeIdleConnections();
    },
  };
}
