import type { DeploymentJson } from '../server/http/wire.ts';
import type { State } from '../server/ledger/states.ts';

// The record's shape is declared once, in server/ledger/types.ts, and reaches the Action as the
// API's JSON (server/http/wire.ts) through `import type`, which esbuild erases from dist/.

/** The deployment record as the server's API shows it. */
export type DeploymentRecord = DeploymentJson;

export type { State };
export type FinalState = Extract<State, 'success' | 'failure' | 'error'>;

export { isTerminal } from '../server/ledger/states.ts';
