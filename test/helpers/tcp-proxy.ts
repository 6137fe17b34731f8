import net from 'node:net';

export type Outage = 'refuse' | 'terminate';

export interface TcpProxy {
  /** A postgresql:// URL like `databaseUrl`, through the proxy. */
  url: string;
  /**
   * Starts an outage: open connections are cut, and new ones are refused (`refuse`: nothing
   * listens, ECONNREFUSED) or accepted and closed at once (`terminate`: "Connection terminated").
   */
  down(outage: Outage): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

/** A TCP proxy in front of PostgreSQL, to take the database away from a running server. */
export async function startTcpProxy(databaseUrl: string): Promise<TcpProxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<net.Socket>();
  let mode: Outage | null = null;
  const server = net.createServer((client) => {
    if (mode === 'terminate') {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    async down(outage) {
      mode = outage;
      cut();
      if (outage === 'refuse' && server.listening) await close();
      if (outage === 'terminate' && !server.listening) await listen(port);
    },
    async up() {
      mode = null;
      if (!server.listening) await listen(port);
    },
    async stop() {
      cut();
      if (server.listening) await close();
    },
  };
}
