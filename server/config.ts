import { z } from 'zod';
import { type HookRef, parseHookList } from './github/hooks.ts';
import {
  CLUSTER_NAME_PATTERN,
  foldName,
  MAX_CLUSTERS,
  nameListProblem,
  type StuckPolicy,
  splitNameList,
} from './ledger/index.ts';

// The workloads the Kubernetes watcher knows (server/k8s/workload-kinds.ts reads each).
const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Rollout'] as const;

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL (leave it unset for the embedded database)')
    .optional(),
  DEPLOYLEDGER_DATA_DIR: z.string().default('./.deployledger'),
  DEPLOYLEDGER_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DEPLOYLEDGER_API_KEYS: z.string().optional(),
  DEPLOYLEDGER_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),
  DEPLOYLEDGER_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
  DEPLOYLEDGER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  // GitHub Actions OIDC tokens are accepted only when an audience is set.
  DEPLOYLEDGER_OIDC_AUDIENCE: z.string().optional(),
  DEPLOYLEDGER_OIDC_ISSUER: z.url().default('https://token.actions.githubusercontent.com'),
  DEPLOYLEDGER_OIDC_JWKS_URL: z.url().optional(),
  // The Kubernetes watcher runs when a cluster is configured: this file, else KUBECONFIG,
  // else the pod's service account. `off` keeps it off regardless.
  DEPLOYLEDGER_K8S_WATCH: z.enum(['auto', 'off']).default('auto'),
  DEPLOYLEDGER_KUBECONFIG: z.string().optional(),
  KUBECONFIG: z.string().optional(),
  DEPLOYLEDGER_K8S_NAMESPACES: z
    .string()
    .default('')
    .transform((list) =>
      list
        .split(',')
        .map((namespace) => namespace.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be namespace names'))),
  // Several clusters: one watcher per kubeconfig context named here (the context's name is the
  // cluster's); or one server per cluster, DEPLOYLEDGER_CLUSTER naming it.
  DEPLOYLEDGER_K8S_CONTEXTS: z
    .string()
    .default('')
    .transform((list) => (list.trim() ? splitNameList(list) : []))
    .superRefine((names, ctx) => {
      const problem = names.length
        ? nameListProblem(names, { pattern: CLUSTER_NAME_PATTERN, max: MAX_CLUSTERS, what: 'context' })
        : null;
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  DEPLOYLEDGER_CLUSTER: z
    .string()
    .regex(CLUSTER_NAME_PATTERN, 'must be a cluster name (letters, digits and . _ - : / @)')
    .optional(),
  DEPLOYLEDGER_K8S_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
  // The kinds of workload the watcher follows (Rollout only where the Argo Rollouts CRD is installed).
  DEPLOYLEDGER_K8S_KINDS: z
    .string()
    .default(WORKLOAD_KINDS.join(','))
    .transform((list) =>
      list
        .split(',')
        .map((kind) => kind.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(WORKLOAD_KINDS)).min(1)),
  // GitHub in: webhook deliveries are verified with these secrets (comma-separated: rotation).
  GITHUB_WEBHOOK_SECRET: z.string().optional(),
  // GitHub out: a token, or a GitHub App, enables the sync to GitHub's Deployments.
  GITHUB_TOKEN: z.string().optional(),
  GITHUB_APP_ID: z.string().regex(/^\d+$/, 'must be the numeric App ID').optional(),
  GITHUB_APP_PRIVATE_KEY: z
    .string()
    .transform((key) => key.replace(/\\n/g, '\n'))
    .refine((key) => key.includes('PRIVATE KEY'), 'must be the PEM private key of the GitHub App')
    .optional(),
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  DEPLOYLEDGER_GITHUB_RETRY_BASE_MS: z.coerce.number().int().min(10).default(1000),
  // Delivery recovery: every this many seconds (and at start) the hooks' delivery logs are read
  // for deliveries that never reached the ledger; 0 turns it off in this process.
  DEPLOYLEDGER_RECOVERY_INTERVAL_S: z.coerce
    .number()
    .min(0)
    .max(86_400)
    .refine((seconds) => seconds === 0 || seconds >= 0.1, 'must be 0 (off) or at least 0.1 seconds')
    .default(300),
  // Repository and organization webhooks to recover from (the App's own hook is automatic).
  DEPLOYLEDGER_GITHUB_HOOKS: z
    .string()
    .default('')
    .transform((list, ctx) => parseHooks(list, ctx)),
  // Deployment protection rule: policies and freeze windows per environment, as JSON in the
  // variable or in a JSON/YAML file (server/protection/config.ts checks them at start).
  DEPLOYLEDGER_PROTECTION: z.string().optional(),
  DEPLOYLEDGER_PROTECTION_FILE: z.string().optional(),
  DEPLOYLEDGER_PROTECTION_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  // Where users reach this server: GitHub comments link to records under it.
  DEPLOYLEDGER_PUBLIC_URL: z.url().optional(),
  // The sweeper ends active records older than their deadline (from created_at) with `error`.
  DEPLOYLEDGER_STUCK_AFTER_SECONDS: z.coerce
    .number()
    .positive()
    .default(30 * 60),
  DEPLOYLEDGER_STUCK_AFTER_SECONDS_BY_ENVIRONMENT: z
    .string()
    .default('')
    .transform((list, ctx) => parseEnvironmentSeconds(list, ctx)),
  DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: z.coerce.number().min(0).default(60),
  // Metric sampling of records created with a metrics_endpoint (before and after success).
  DEPLOYLEDGER_SAMPLING_INTERVAL_SECONDS: z.coerce.number().min(0).default(5),
  DEPLOYLEDGER_SAMPLING_POST_COUNT: z.coerce.number().int().min(1).max(20).default(3),
  DEPLOYLEDGER_SAMPLING_POST_WINDOW_SECONDS: z.coerce.number().positive().default(300),
  DEPLOYLEDGER_SAMPLING_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  DEPLOYLEDGER_SAMPLING_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  DEPLOYLEDGER_SAMPLING_ALLOW_PRIVATE: z.stringbool().default(false),
  // Dashboard: signed in with a project API key unless explicitly public. Sessions are signed
  // with this secret; unset, a random one per process (sessions end at a restart).
  DEPLOYLEDGER_DASHBOARD_PUBLIC: z.stringbool().default(false),
  DEPLOYLEDGER_SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  // Optional link to a Kubernetes UI for a deployment's object: {namespace} and {name} are filled in.
  DEPLOYLEDGER_DASHBOARD_K8S_URL: z
    .string()
    .includes('{name}', { message: 'must contain {name}' })
    .optional(),
  // Bearer token for GET /metrics. Unset, /metrics is open and carries only operational metrics:
  // the DORA gauges (labelled with repository and environment names) are served only behind it.
  DEPLOYLEDGER_METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 32`)')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it is sent as a bearer token)')
    .optional(),
  // DORA gauges on /metrics cover this trailing window.
  DEPLOYLEDGER_DORA_WINDOW_DAYS: z.coerce.number().int().min(1).max(365).default(30),
});

export type Config = z.infer<typeof schema>;

/** Reads and checks every setting once; a bad one stops the start with its name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration — ${problems.join('; ')}`);
  }
  if (Boolean(parsed.data.GITHUB_APP_ID) !== Boolean(parsed.data.GITHUB_APP_PRIVATE_KEY)) {
    throw new Error('Invalid configuration — GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY must be set together');
  }
  return parsed.data;
}

function parseHooks(list: string, ctx: z.RefinementCtx): HookRef[] {
  const hooks = parseHookList(list);
  if (typeof hooks === 'string') {
    ctx.addIssue({ code: 'custom', message: hooks });
    return z.NEVER;
  }
  return hooks;
}

/** "production=3600,staging=900" → { production: 3600, staging: 900 } (seconds per environment). */
function parseEnvironmentSeconds(list: string, ctx: z.RefinementCtx): Record<string, number> {
  const result: Record<string, number> = {};
  for (const entry of list
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^(.+)=(\d+(?:\.\d+)?)$/.exec(entry);
    if (!match?.[1] || !match[2] || Number(match[2]) <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" must be environment=seconds, e.g. production=3600`,
      });
      return z.NEVER;
    }
    result[match[1].trim()] = Number(match[2]);
  }
  return result;
}

/** How to authenticate to GitHub's API, if the sync to GitHub is enabled. */
export function githubAuth(config: Config): { token: string } | { appId: string; privateKey: string } | null {
  if (config.GITHUB_APP_ID && config.GITHUB_APP_PRIVATE_KEY) {
    return { appId: config.GITHUB_APP_ID, privateKey: config.GITHUB_APP_PRIVATE_KEY };
  }
  return config.GITHUB_TOKEN ? { token: config.GITHUB_TOKEN } : null;
}

export function stuckPolicy(config: Config): StuckPolicy {
  return {
    defaultSeconds: config.DEPLOYLEDGER_STUCK_AFTER_SECONDS,
    byEnvironment: Object.fromEntries(
      Object.entries(config.DEPLOYLEDGER_STUCK_AFTER_SECONDS_BY_ENVIRONMENT).map(([name, seconds]) => [
        foldName(name),
        seconds,
      ]),
    ),
  };
}
