import type { DeployledgerClient } from './client.ts';
import { type DeploymentRecord, isTerminal } from './records.ts';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  onPoll?: (record: DeploymentRecord) => void;
}

/** Polls the record until it is terminal; throws when the time runs out. */
export async function waitForTerminal(
  client: DeployledgerClient,
  start: DeploymentRecord,
  { timeoutMs, intervalMs, onPoll }: WaitOptions,
): Promise<DeploymentRecord> {
  const deadline = Date.now() + timeoutMs;
  let record = start;
  while (!isTerminal(record.state)) {
    if (Date.now() >= deadline) {
      throw new Error(
        `Deployment ${record.id} is still ${record.state} after ${Math.round(timeoutMs / 1000)} s (wait-timeout). ` +
          'Raise wait-timeout, or check what should report its outcome (the cluster watcher, a later step).',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, deadline - Date.now())));
    record = await client.get(record.id);
    onPoll?.(record);
  }
  return record;
}

/** Whether a terminal record means the deployment went out. */
export function succeeded(record: DeploymentRecord): boolean {
  // A success later replaced by a newer deployment is `inactive` but was deployed.
  return record.state === 'success' || (record.state === 'inactive' && record.deployed_at !== null);
}
