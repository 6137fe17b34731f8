import { type ServerType, serve } from '@hono/node-server';
import { ApiKeyVerifier } from './auth/api-keys.ts';
import { oidcVerifiers } from './auth/oidc.ts';
import { type Config, githubAuth } from './config.ts';
import { openDatabase } from './db/connect.ts';
import { LedgerStore } from './db/ledger-store.ts';
import { applyMigrations } from './db/migrate.ts';
import { createGithubApi } from './github/client.ts';
import { buildApp } from './http/app.ts';
import { startDeliveryWorker } from './jobs/delivery-worker.ts';
import { startOutboxWorker } from './jobs/outbox-worker.ts';
import { startK8sWatcherIfConfigured } from './k8s/index.ts';
import type { Logger } from './log.ts';
import { createMetrics } from './metrics.ts';
import { SignatureVerifier } from './webhooks/verify.ts';

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
  const auth = githubAuth(config);
  let kickOutbox = () => {};
  const store = new LedgerStore(db.prisma, {
    githubSync: auth !== null,
    observe: (signal, decision) => {
      metrics.recordDecision(signal, decision);
      kickOutbox();
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
    },
  });
  const deliveries = startDeliveryWorker({ prisma: db.prisma, store, logger });
  const outbox = auth
    ? startOutboxWorker({
        prisma: db.prisma,
        store,
        github: createGithubApi(auth, config.GITHUB_API_URL),
        logger,
        retryBaseMs: config.DEPLOYLEDGER_GITHUB_RETRY_BASE_MS,
      })
    : null;
  if (outbox) kickOutbox = () => outbox.kick();
  const app = buildApp({
    prisma: db.prisma,
    store,
    verifiers: [new ApiKeyVerifier(db.prisma, config.DEPLOYLEDGER_API_KEYS), ...oidcVerifiers(config)],
    metrics,
    logger,
    bodyLimit: config.DEPLOYLEDGER_BODY_LIMIT,
    webhooks: {
      verifier: new SignatureVerifier(config.GITHUB_WEBHOOK_SECRET),
      onStored: () => deliveries.kick(),
    },
  });

  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
      logger.info({ port: info.port, address: info.address }, 'listening');
      resolve(s);
    });
  });
  const watcher = startK8sWatcherIfConfigured(config, { prisma: db.prisma, store, metrics, logger });

  async function stop() {
    await watcher?.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await deliveries.stop();
    await outbox?.stop();
    await db.close();
  }
  return { server, stop };
}
