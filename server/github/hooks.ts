/**
 * The GitHub webhooks whose delivery logs the server reads to recover missed deliveries: the
 * GitHub App's own hook, and repository or organization hooks named in DEPLOYLEDGER_GITHUB_HOOKS.
 * `key` names the hook in the database, logs, metrics and /readyz.
 */
export type HookRef =
  | { kind: 'app'; key: 'app' }
  | { kind: 'repo'; key: string; repository: string; hookId: number }
  | { kind: 'org'; key: string; org: string; hookId: number };

const NAME = '[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?';
const REPO_HOOK = new RegExp(`^repo:(${NAME})/(${NAME}):(\\d+)$`);
const ORG_HOOK = new RegExp(`^org:(${NAME}):(\\d+)$`);

export const APP_HOOK: HookRef = { kind: 'app', key: 'app' };

/**
 * `repo:acme/shop:12345,org:acme:678` → the hooks; a string saying what is wrong otherwise.
 * The hook id is the number in the hook's settings URL (…/settings/hooks/<id>).
 */
export function parseHookList(list: string): HookRef[] | string {
  const hooks: HookRef[] = [];
  for (const entry of list
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const repo = REPO_HOOK.exec(entry);
    const org = ORG_HOOK.exec(entry);
    if (repo?.[1] && repo[2] && repo[3]) {
      const repository = `${repo[1]}/${repo[2]}`;
      hooks.push({ kind: 'repo', key: `repo:${repository}:${repo[3]}`, repository, hookId: Number(repo[3]) });
    } else if (org?.[1] && org[2]) {
      hooks.push({ kind: 'org', key: `org:${org[1]}:${org[2]}`, org: org[1], hookId: Number(org[2]) });
    } else {
      return `"${entry}" must be repo:<owner>/<repo>:<hook id> or org:<org>:<hook id>, e.g. repo:acme/shop:12345`;
    }
  }
  const keys = new Set(hooks.map((hook) => hook.key));
  if (keys.size !== hooks.length) return 'names a hook twice';
  return hooks;
}

/** The hooks to recover from: the App's hook when App credentials are set, then the listed ones. */
export function recoveryHooks(options: { app: boolean; listed: HookRef[] }): HookRef[] {
  return [...(options.app ? [APP_HOOK] : []), ...options.listed];
}

/** What GitHub calls the permission a hook's delivery log needs, for error messages and /readyz. */
export function permissionFor(hook: HookRef, auth: 'token' | 'app'): string {
  if (hook.kind === 'app') return 'GitHub App credentials (the App JWT reads its own hook)';
  if (auth === 'app') {
    return hook.kind === 'repo'
      ? `the App's "Webhooks: read" repository permission on ${hook.repository}`
      : `the App's "Webhooks: read" organization permission on ${hook.org}`;
  }
  return hook.kind === 'repo'
    ? `a token with admin:repo_hook (read:repo_hook) on ${hook.repository}`
    : `a token with admin:org_hook on ${hook.org}`;
}
