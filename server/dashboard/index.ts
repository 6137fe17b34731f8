import type { TokenVerifier } from '../auth/api-keys.ts';
import type { Config } from '../config.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import type { RecoveryReport } from '../jobs/recovery-status.ts';
import type { Logger } from '../log.ts';
import type { LiveHub } from './live.ts';
import type { DashboardDeps } from './routes.tsx';
import { Sessions } from './session.ts';

export { dashboardRoutes } from './routes.tsx';
export type { DashboardDeps };

/** The dashboard's settings from config; says so when sessions will not survive a restart. */
export function dashboardDeps(
  config: Config,
  deps: {
    prisma: PrismaClient;
    apiKeys: TokenVerifier;
    live: LiveHub;
    logger: Logger;
    recovery?: () => RecoveryReport;
  },
): DashboardDeps {
  const sessions = new Sessions({ secret: config.DEPLOYLEDGER_SESSION_SECRET });
  if (config.DEPLOYLEDGER_DASHBOARD_PUBLIC) {
    deps.logger.warn(
      'dashboard is public (DEPLOYLEDGER_DASHBOARD_PUBLIC=true): anyone who can reach it sees every repository',
    );
  } else if (sessions.ephemeral) {
    deps.logger.warn(
      'DEPLOYLEDGER_SESSION_SECRET is not set: dashboard sessions are signed with a random per-process secret and end when the server restarts (and do not work across replicas)',
    );
  }
  return {
    prisma: deps.prisma,
    apiKeys: deps.apiKeys,
    sessions,
    public: config.DEPLOYLEDGER_DASHBOARD_PUBLIC,
    live: deps.live,
    ...(deps.recovery ? { recovery: deps.recovery } : {}),
    publicUrl: config.DEPLOYLEDGER_PUBLIC_URL,
    links: { githubApiUrl: config.GITHUB_API_URL, k8sUrlTemplate: config.DEPLOYLEDGER_DASHBOARD_K8S_URL },
  };
}
