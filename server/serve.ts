import { type ServerType, serve } from '@hono/node-server';
import { ApiKeyVerifier } from './auth/api-keys.ts';
import type { Config } from './config.ts';
import { openDatabase } from './db/connect.ts';
import { LedgerStore } from './db/ledger-store.ts';
import { applyMigrations } from './db/migrate.ts';
import { buildApp } from './http/app.ts';
import type { Logger } from './log.ts';
import { createMetrics } from './metrics.ts';

/** Starts the server: database, migrations, HTTP. Resolves once it is listening. */
export async function startServer(config: Config, logger: Logger) {
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DEPLOYLEDGER_DATA_DIR,
    poolSize: config.DEPLOYLEDGER_DB_POOL_SIZE,
  });
  const applied = await applyMigrations(db);
  logger.info({ database: db.kind, applied }, 'database ready');

  const metrics = createMetrics();
  const store = new LedgerStore(db.prisma, (signal, decision) => {
    metrics.recordDecision(signal, decision);
    logger.info(
      {
        deployment_id: decision.record.id,
        source: signal.source,
        signal_state: signal.state,
        state: decision.record.state,
        applied: decision.applied,
        reason: decision.reason ?? signal.reason ?? null,
      },
      'signal decided',
    );
  });
  const app = buildApp({
    prisma: db.prisma,
    store,
    verifiers: [new ApiKeyVerifier(db.prisma, config.DEPLOYLEDGER_API_KEYS)],
    metrics,
    logger,
    bodyLimit: config.DEPLOYLEDGER_BODY_LIMIT,
  });

  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
      logger.info({ port: info.port, address: info.address }, 'listening');
      resolve(s);
    });
  });

  async function stop() {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.close();
  }
  return { server, stop };
}
