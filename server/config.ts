import { z } from 'zod';

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
  DEPLOYLEDGER_K8S_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
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

/** How to authenticate to GitHub's API, if the sync to GitHub is enabled. */
export function githubAuth(config: Config): { token: string } | { appId: string; privateKey: string } | null {
  if (config.GITHUB_APP_ID && config.GITHUB_APP_PRIVATE_KEY) {
    return { appId: config.GITHUB_APP_ID, privateKey: config.GITHUB_APP_PRIVATE_KEY };
  }
  return config.GITHUB_TOKEN ? { token: config.GITHUB_TOKEN } : null;
}
