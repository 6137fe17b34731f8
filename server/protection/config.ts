import { readFileSync } from 'node:fs';
import { IANAZone } from 'luxon';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** What to do with a request while the environment has an active deployment, and after a failure. */
export const POLICIES = ['wait', 'reject-if-active', 'reject-after-failure'] as const;
export type PolicyName = (typeof POLICIES)[number];

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM (24-hour)');
const timeZone = z
  .string()
  .refine((zone) => IANAZone.isValidZone(zone), 'must be an IANA time zone such as Europe/Berlin or UTC');
const localDateTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/,
    'must be a local date or date-time, e.g. 2026-12-20 or 2026-12-20T18:00',
  );

const dateRangeWindow = z.object({
  name: z.string().min(1),
  time_zone: timeZone.default('UTC'),
  from: localDateTime,
  until: localDateTime,
});

const weeklyWindow = z.object({
  name: z.string().min(1),
  time_zone: timeZone.default('UTC'),
  weekly: z.object({
    days: z.array(z.enum(DAYS)).min(1),
    from: clock,
    until: clock,
  }),
});

export const freezeWindow = z.union([weeklyWindow, dateRangeWindow]);
export type FreezeWindow = z.infer<typeof freezeWindow>;

const policyList = z
  .union([z.enum(POLICIES), z.array(z.enum(POLICIES)).min(1)], {
    error: `must be one of ${POLICIES.join(', ')}, or a list of them`,
  })
  .transform((policy) => (Array.isArray(policy) ? [...new Set(policy)] : [policy]))
  .refine(
    (policies) => !(policies.includes('wait') && policies.includes('reject-if-active')),
    '`wait` and `reject-if-active` exclude each other',
  );

const environmentProtection = z.object({
  policy: policyList.default(['wait']),
  /** Longest a request is held for an active deployment before it is rejected; unset: no limit. */
  max_wait_seconds: z.number().int().min(1).optional(),
  freeze_windows: z.array(freezeWindow).default([]),
});
export type EnvironmentProtection = z.infer<typeof environmentProtection>;

/** Keyed by environment name; `*` applies to every environment not named. */
const protectionSchema = z.object({
  environments: z.record(z.string().min(1), environmentProtection).default({}),
});
export type ProtectionConfig = z.infer<typeof protectionSchema>;

const DEFAULT: EnvironmentProtection = { policy: ['wait'], freeze_windows: [] };

export function protectionFor(config: ProtectionConfig, environment: string): EnvironmentProtection {
  return config.environments[environment] ?? config.environments['*'] ?? DEFAULT;
}

/**
 * Reads the protection rules from DEPLOYLEDGER_PROTECTION (JSON) or DEPLOYLEDGER_PROTECTION_FILE
 * (a JSON or YAML file). Neither set: every environment uses `wait` without freeze windows.
 */
export function loadProtectionConfig(env: {
  DEPLOYLEDGER_PROTECTION?: string | undefined;
  DEPLOYLEDGER_PROTECTION_FILE?: string | undefined;
}): ProtectionConfig {
  if (env.DEPLOYLEDGER_PROTECTION && env.DEPLOYLEDGER_PROTECTION_FILE) {
    throw new Error(
      'Invalid configuration — set DEPLOYLEDGER_PROTECTION or DEPLOYLEDGER_PROTECTION_FILE, not both',
    );
  }
  let source = 'DEPLOYLEDGER_PROTECTION';
  let raw: unknown = { environments: {} };
  try {
    if (env.DEPLOYLEDGER_PROTECTION) raw = JSON.parse(env.DEPLOYLEDGER_PROTECTION);
    if (env.DEPLOYLEDGER_PROTECTION_FILE) {
      source = `DEPLOYLEDGER_PROTECTION_FILE (${env.DEPLOYLEDGER_PROTECTION_FILE})`;
      // YAML is a superset of JSON: one parser reads both.
      raw = parseYaml(readFileSync(env.DEPLOYLEDGER_PROTECTION_FILE, 'utf8'));
    }
  } catch (error) {
    throw new Error(`Invalid configuration — ${source}: ${(error as Error).message}`);
  }
  const parsed = protectionSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new Error(`Invalid configuration — ${source}: ${problems.join('; ')}`);
  }
  return parsed.data;
}
