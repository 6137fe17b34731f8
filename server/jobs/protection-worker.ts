import type { Logger } from '../log.ts';
import type { ProtectionGate } from '../protection/gate.ts';
import { Poller } from './poller.ts';

const BATCH = 50;

/**
 * Releases held protection requests: approves those whose deployment ended, rejects those past
 * their maximum wait. Runs on a timer on every replica (a decision is taken once, by whichever
 * replica's conditional update wins) and at once when a record of this replica ends.
 */
export function startProtectionWorker(deps: { gate: ProtectionGate; logger: Logger }, intervalMs: number) {
  const poller = new Poller(
    async () => (await deps.gate.releaseDue(BATCH)) === BATCH,
    intervalMs,
    (error) => deps.logger.error({ err: error }, 'protection worker tick failed'),
  );
  return poller.start();
}
