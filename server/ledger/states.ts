/** GitHub's deployment-status vocabulary, which the ledger uses as is. */
export const STATES = [
  'pending',
  'queued',
  'in_progress',
  'success',
  'failure',
  'error',
  'inactive',
] as const;
export type State = (typeof STATES)[number];

/** What a deployment is, relative to what its environment ran when it was created (kind.ts). */
export const DEPLOYMENT_KINDS = ['forward', 'redeploy', 'rollback'] as const;
export type DeploymentKind = (typeof DEPLOYMENT_KINDS)[number];

export const ACTIVE_STATES: readonly State[] = ['pending', 'queued', 'in_progress'];
export const TERMINAL_STATES: readonly State[] = ['success', 'failure', 'error', 'inactive'];

/** Input aliases accepted from producers. */
const ALIASES: Record<string, State> = { running: 'in_progress' };

export function parseState(input: string): State | undefined {
  const value = input.trim().toLowerCase();
  if ((STATES as readonly string[]).includes(value)) return value as State;
  return ALIASES[value];
}

export function isActive(state: State): boolean {
  return ACTIVE_STATES.includes(state);
}

export function isTerminal(state: State): boolean {
  return TERMINAL_STATES.includes(state);
}

/** pending < queued < in_progress < every terminal state. */
export function rank(state: State): number {
  switch (state) {
    case 'pending':
      return 0;
    case 'queued':
      return 1;
    case 'in_progress':
      return 2;
    default:
      return 3;
  }
}
