import { runCli } from '../helpers/cli.ts';
import { startGithubApi } from '../helpers/github-api.ts';
import { type EchoTiming, startGithubEcho } from '../helpers/github-echo.ts';
import { hookDeliverer } from '../helpers/github-hooks.ts';
import { watcherEnv } from '../helpers/k8s-watch.ts';
import { startKubeApiServer } from '../helpers/kube-apiserver.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { createDeliverer } from '../helpers/redelivery.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';
import { startSwitchableProxy } from '../helpers/switchable-proxy.ts';
import { stats } from './stats.ts';

export const REPOSITORY = 'acme/shop';
export const TOKEN = 'e2e-key-acme-shop-0123456789';
export const SECRET = 'e2e-webhook-secret';
/** Records in this environment time out after 3 s (the sweeper); every other one after 30 min. */
export const SILENT_ENVIRONMENT = 'silent';

export interface ClusterOptions {
  replicas?: number;
  /** Whether the replicas watch the Kubernetes stand-in from the start (default true). */
  watch?: boolean;
  /** Delay and redeliveries of GitHub's echo of what our server wrote there. */
  echo?: (environment: string) => EchoTiming;
  env?: Record<string, string>;
  /**
   * GitHub delivers through a repository webhook with this id, as GitHub does: once, failures
   * logged in the hook's delivery log and never sent again; the replicas recover from that log
   * (DEPLOYLEDGER_GITHUB_HOOKS). Without it, a delivery that fails is redelivered until stored.
   */
  hookId?: number;
}

/**
 * Everything a user runs, started as they start it: PostgreSQL (a fresh database), two server
 * replicas on it (`node bin/deployledger.js serve`), GitHub's API (a stand-in behind a proxy
 * that can be switched off) whose writes are delivered back as signed webhooks, and a
 * Kubernetes API stand-in the replicas watch.
 */
export async function startCluster(options: ClusterOptions = {}) {
  const db = await createTestDatabase();
  const github = await startGithubApi();
  const githubProxy = await startSwitchableProxy(github.url);
  const kube = await startKubeApiServer({ bookmarkEveryMs: 1000 });
  const hook = options.hookId ? github.addRepoHook(REPOSITORY, options.hookId, SECRET) : null;
  const baseEnv: Record<string, string> = {
    DATABASE_URL: db.url,
    DEPLOYLEDGER_API_KEYS: `${REPOSITORY}=${TOKEN}`,
    GITHUB_WEBHOOK_SECRET: SECRET,
    GITHUB_TOKEN: 'ghs_e2e_token',
    GITHUB_API_URL: githubProxy.url,
    DEPLOYLEDGER_GITHUB_RETRY_BASE_MS: '100',
    DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0.5',
    DEPLOYLEDGER_STUCK_AFTER_SECONDS_BY_ENVIRONMENT: `${SILENT_ENVIRONMENT}=3`,
    DEPLOYLEDGER_DB_POOL_SIZE: '5',
    ...(options.hookId ? { DEPLOYLEDGER_GITHUB_HOOKS: `repo:${REPOSITORY}:${options.hookId}` } : {}),
    ...options.env,
  };
  const watching = () => ({ ...baseEnv, ...watcherEnv(kube) });
  const replicas: RunningServer[] = [];
  const start = (env: Record<string, string>) => startServer(env);
  for (let i = 0; i < (options.replicas ?? 2); i++) {
    replicas.push(await start(options.watch === false ? baseEnv : watching()));
  }
  const live = () =>
    replicas.filter((replica) => replica.process.exitCode === null && !replica.process.killed);
  const deliverer = createDeliverer({ targets: () => live().map((replica) => replica.url), secret: SECRET });
  const webhook = hook ? hookDeliverer(hook, () => live()[0]?.url) : deliverer;
  const echo = startGithubEcho(github, webhook, options.echo);

  return {
    db,
    github,
    githubProxy,
    kube,
    replicas,
    deliverer,
    /** How GitHub's deliveries reach the replicas: `hook` when there is one, else `deliverer`. */
    webhook,
    hook,
    echo,
    live,
    /** Starts one more replica (watching the cluster unless told otherwise) and returns its index. */
    async addReplica(watch = true) {
      replicas.push(await start(watch ? watching() : baseEnv));
      return replicas.length - 1;
    },
    /** SIGKILLs replica `index` (no shutdown: in-flight work and leases are simply abandoned). */
    async killReplica(index: number) {
      stats.faults++;
      await replicas[index]?.stop('SIGKILL');
    },
    /** Replaces a stopped replica with a fresh process on the same database. */
    async restartReplica(index: number, watch = true) {
      replicas[index] = await start(watch ? watching() : baseEnv);
    },
    /** Resolves once GitHub's echoes are delivered, every stored delivery processed, the outbox empty. */
    async drained(timeoutMs = 60_000) {
      await echo.idle();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [row] = await query<{ deliveries: string; outbox: string }>(
          db.url,
          `SELECT (SELECT count(*) FROM webhook_delivery WHERE done_at IS NULL) AS deliveries,
                  (SELECT count(*) FROM outbox_job WHERE done_at IS NULL) AS outbox`,
        );
        if (row?.deliveries === '0' && row.outbox === '0') {
          await echo.idle();
          return;
        }
        if (Date.now() > deadline)
          throw new Error(`not drained: ${row?.deliveries} deliveries, ${row?.outbox} outbox jobs pending`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    /** Runs `deployledger check` on the database as an operator does; counts what it finds. */
    async check() {
      const result = await runCli(['check'], { DATABASE_URL: db.url });
      const found = Number(/(\d+) violation\(s\) found/.exec(result.stdout)?.[1] ?? 0);
      stats.violations += found + (result.code === 0 || found > 0 ? 0 : 1);
      return { ...result, violations: found };
    },
    /** The last log lines of replicas that exited without being told to (a crash). */
    crashes() {
      return replicas
        .filter((replica) => replica.process.exitCode !== null && replica.process.signalCode === null)
        .map((replica) => `exit ${replica.process.exitCode}:\n${replica.logs.slice(-40).join('\n')}`);
    },
    async stop() {
      for (const crash of this.crashes()) console.error(`a replica crashed — ${crash}`);
      echo.stop();
      await Promise.all(replicas.map((replica) => replica.stop()));
      await githubProxy.stop();
      await github.close();
      await kube.close();
      await db.drop();
    },
  };
}

export type Cluster = Awaited<ReturnType<typeof startCluster>>;
