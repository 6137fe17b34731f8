import type { Server } from 'node:http';
import { type ServerType, serve } from '@hono/node-server';
import { buildApp } from './app.ts';
import { ApiKeyVerifier } from './auth/api-keys.ts';
import { oidcVerifiers } from './auth/oidc.ts';
import { type Config, githubAuth, stuckPolicy } from './config.ts';
import { dashboardDeps } from './dashboard/index.ts';
import { LiveHub } from './dashboard/live.ts';
import { openDatabase } from './db/connect.ts';
import { DeliveryInbox } from './db/delivery-inbox.ts';
import { type DecisionListener, LedgerStore } from './db/ledger-store.ts';
import { applyMigrations } from './db/migrate.ts';
import { releasePrismaDebugHistory } from './db/prisma-debug-history.ts';
import { registerDoraMetrics } from './dora/metrics.ts';
import { createGithubApi } from './github/client.ts';
import { recoveryHooks } from './github/hooks.ts';
import { createGithubClients } from './github/octokit.ts';
import { createGithubTruth } from './github/run-truth.ts';
import { startHeapTrimmer } from './heap-trim.ts';
import { watchConnections } from './http/drain.ts';
import { trackInFlight } from './http/in-flight.ts';
import { Arrivals } from './jobs/arrivals.ts';
import { startDeliveryRecovery } from './jobs/delivery-recovery.ts';
import { startDeliveryWorker } from './jobs/delivery-worker.ts';
import { startOutboxWorker } from './jobs/outbox-worker.ts';
import { startProtectionWorker } from './jobs/protection-worker.ts';
import { registerQueueMetrics } from './jobs/queue-metrics.ts';
import { createReconciler } from './jobs/reconciler.ts';
import { recoveryStatus } from './jobs/recovery-status.ts';
import { startStatisticsKeeper } from './jobs/statistics-keeper.ts';
import { startSweeper } from './jobs/sweeper.ts';
import { startK8sWatcherIfConfigured } from './k8s/index.ts';
import { isTerminal } from './ledger/index.ts';
import type { Logger } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { loadProtectionConfig, setUpProtection } from './protection/index.ts';
import { startCollector } from './sampling/collector.ts';
import { samplingLimits, samplingPlan } from './sampling/settings.ts';
import { bounded } from './shutdown.ts';
import { SignatureVerifier } from './webhooks/verify.ts';

/** Starts the server: database, migrations, HTTP. Resolves once it is listening. */
export async function startServer(config: Config, logger: Logger) {
  const protectionRules = loadProtectionConfig(config);
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DEPLOYLEDGER_DATA_DIR,
    poolSize: config.DEPLOYLEDGER_DB_POOL_SIZE,
    command: 'deployledger serve',
    exclusive: true,
  });
  const applied = await applyMigrations(db);
  logger.info({ database: db.kind, applied }, 'database ready');

  const metrics = createMetrics();
  registerQueueMetrics(metrics.registry, db.sql);
  if (config.DEPLOYLEDGER_METRICS_TOKEN) {
    registerDoraMetrics(metrics.registry, db.prisma, config.DEPLOYLEDGER_DORA_WINDOW_DAYS);
  } else {
    logger.info(
      'DEPLOYLEDGER_METRICS_TOKEN is not set: /metrics is open and leaves out the DORA gauges (they name repositories and environments); set it to serve them behind a bearer token',
    );
  }
  const live = new LiveHub();
  const auth = githubAuth(config);
  const github = auth ? createGithubClients(auth, config.GITHUB_API_URL) : null;
  let kickOutbox = () => {};
  let kickProtection = () => {};
  let kickSampler = () => {};
  const onDecision: DecisionListener = (signal, decision) => {
    metrics.recordDecision(signal, decision);
    kickOutbox();
    const { id, repository, environment } = decision.record;
    live.publish({ id, repository, environment });
    if (isTerminal(decision.record.state)) kickProtection();
    if (decision.record.metricsEndpoint && decision.effects.some((e) => e.type === 'state_changed'))
      kickSampler();
    logger.info(
      {
        deployment_id: decision.record.id,
        source: signal.source,
        signal_state: signal.state,
        state: decision.record.state,
        applied: decision.applied,
        reason: decision.reason ?? signal.reason ?? null,
        delivery_id: signal.detail?.delivery_id ?? null,
      },
      'signal decided',
    );
  };
  const store = new LedgerStore(db.prisma, { sql: db.sql, githubSync: auth !== null, onDecision });
  const protection = setUpProtection(config, protectionRules, {
    prisma: db.prisma,
    store,
    logger,
    onDecided: () => kickOutbox(),
  });
  const arrivals = new Arrivals();
  const deliveries = startDeliveryWorker({
    prisma: db.prisma,
    sql: db.sql,
    store,
    onDecision,
    logger,
    protection: protection.receiver,
    quiet: () => arrivals.quiet(),
  });
  const outbox = auth
    ? startOutboxWorker({
        prisma: db.prisma,
        sql: db.sql,
        store,
        github: createGithubApi(github ?? auth, config.GITHUB_API_URL),
        protection: protection.reviewer,
        logger,
        retryBaseMs: config.DEPLOYLEDGER_GITHUB_RETRY_BASE_MS,
      })
    : null;
  if (outbox) kickOutbox = () => outbox.kick();
  const protectionWorker = startProtectionWorker(
    { gate: protection.receiver.gate, logger },
    config.DEPLOYLEDGER_PROTECTION_INTERVAL_MS,
  );
  kickProtection = () => protectionWorker.kick();
  const statistics = startStatisticsKeeper(db, logger);
  const sweeper =
    config.DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS > 0
      ? startSweeper(
          {
            prisma: db.prisma,
            sql: db.sql,
            store,
            logger,
            policy: stuckPolicy(config),
            reconciler: github ? createReconciler(createGithubTruth(github)) : null,
          },
          config.DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS * 1000,
        )
      : null;
  const sampler =
    config.DEPLOYLEDGER_SAMPLING_INTERVAL_SECONDS > 0
      ? startCollector(
          { prisma: db.prisma, store, logger, plan: samplingPlan(config), limits: samplingLimits(config) },
          config.DEPLOYLEDGER_SAMPLING_INTERVAL_SECONDS * 1000,
        )
      : null;
  if (sampler) kickSampler = () => sampler.kick();
  const recovery = startRecoveryIfConfigured(config, {
    prisma: db.prisma,
    clients: github,
    logger,
    metrics,
    onRecovered: () => deliveries.kick(),
  });
  const apiKeys = new ApiKeyVerifier(db.prisma, config.DEPLOYLEDGER_API_KEYS);
  const app = buildApp({
    prisma: db.prisma,
    store,
    verifiers: [apiKeys, ...oidcVerifiers(config)],
    dashboard: dashboardDeps(config, { prisma: db.prisma, apiKeys, live, logger, recovery: recovery.report }),
    metrics,
    logger,
    bodyLimit: config.DEPLOYLEDGER_BODY_LIMIT,
    metricsToken: config.DEPLOYLEDGER_METRICS_TOKEN,
    webhooks: {
      verifier: new SignatureVerifier(config.GITHUB_WEBHOOK_SECRET),
      inbox: new DeliveryInbox(db.sql),
      onStored: () => {
        arrivals.noteStored();
        deliveries.kick();
      },
    },
  });

  // Before listening: loading the Kubernetes client takes a moment, and /readyz must report the
  // watcher from the first request on.
  const watcher = await startK8sWatcherIfConfigured(config, { sql: db.sql, store, metrics, logger });
  const requests = trackInFlight(app.fetch);
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: requests.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
      logger.info({ port: info.port, address: info.address }, 'listening');
      resolve(s);
    });
  });
  // Plain HTTP/1.1: serve() is given no HTTP/2 or TLS options.
  const connections = watchConnections(server as Server);
  const trimmer = startHeapTrimmer({
    release: () => {
      store.forgetRecent();
      releasePrismaDebugHistory();
    },
  });

  // Each step is bounded so one that hangs cannot keep the rest (and the database) from closing.
  const stepMs = Math.max(1000, config.DEPLOYLEDGER_SHUTDOWN_GRACE_MS / 3);
  async function stop() {
    await bounded(watcher?.stop(), stepMs);
    trimmer.stop();
    live.close();
    await connections.drain(stepMs, requests.busy);
    await bounded(requests.idle(), stepMs);
    (server as Server).closeAllConnections();
    await bounded(recovery.job?.stop(), stepMs);
    await bounded(
      Promise.all([
        deliveries.stop(),
        protectionWorker.stop(),
        outbox?.stop(),
        sweeper?.stop(),
        sampler?.stop(),
        statistics.stop(),
      ]),
      stepMs,
    );
    await db.close();
  }
  return { server, stop };
}

/**
 * Delivery recovery from the App's hook (with App credentials) and DEPLOYLEDGER_GITHUB_HOOKS;
 * its report (/readyz, the dashboard) says why when it is off.
 */
function startRecoveryIfConfigured(
  config: Config,
  deps: Omit<Parameters<typeof startDeliveryRecovery>[0], 'hooks' | 'status'> & { metrics: Metrics },
) {
  const hooks = recoveryHooks({
    app: Boolean(config.GITHUB_APP_ID),
    listed: config.DEPLOYLEDGER_GITHUB_HOOKS,
  });
  const seconds = config.DEPLOYLEDGER_RECOVERY_INTERVAL_S;
  const offReason =
    seconds === 0
      ? 'DEPLOYLEDGER_RECOVERY_INTERVAL_S is 0'
      : hooks.length === 0
        ? 'no hook to read: set GitHub App credentials or DEPLOYLEDGER_GITHUB_HOOKS'
        : undefined;
  const status = recoveryStatus(deps.metrics, {
    intervalSeconds: seconds,
    ...(offReason ? { offReason } : {}),
  });
  const job = offReason ? null : startDeliveryRecovery({ ...deps, hooks, status }, seconds * 1000);
  return { job, report: status.report };
}
