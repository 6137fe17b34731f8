import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubRun, runAction } from '../helpers/action.ts';
import { ACTION_TOKEN, type Ledger, startLedger } from '../helpers/ledger.ts';

describe('the Action waits for the record to become final', () => {
  let ledger: Ledger;
  const waiting = (environment: string, extra: Record<string, string> = {}) => ({
    'server-url': ledger.server.url,
    token: ACTION_TOKEN,
    environment,
    wait: 'true',
    'wait-interval': '0.2',
    ...extra,
  });

  /** Plays the part of the cluster watcher: reports `state` once the Action has opened the record. */
  async function reportWhenStarted(environment: string, state: string) {
    for (let tries = 0; tries < 100; tries++) {
      const [record] = (await ledger.api.list({ repository: 'acme/shop', environment })).body.deployments;
      if (record) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        return ledger.api.status(record.id, { state, description: `rollout reported ${state}` });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the Action never opened a record in ${environment}`);
  }

  beforeAll(async () => {
    ledger = await startLedger();
  });
  afterAll(async () => {
    await ledger?.stop();
  });

  it('returns once the record succeeds, with the final state as output', async () => {
    const [run] = await Promise.all([
      runAction({ inputs: waiting('wait-success'), env: githubRun(4001) }),
      reportWhenStarted('wait-success', 'success'),
    ]);

    expect(run.exitCode, run.log).toBe(0);
    expect(run.outputs.state).toBe('success');
    expect(run.summary).toContain('wait-success is success');
  });

  it('fails the step when the record ends in failure', async () => {
    const [run] = await Promise.all([
      runAction({ inputs: waiting('wait-failure'), env: githubRun(4002) }),
      reportWhenStarted('wait-failure', 'failure'),
    ]);

    expect(run.exitCode).toBe(1);
    expect(run.outputs.state).toBe('failure');
    expect(run.error).toContain('ended failure (rollout reported failure)');
  });

  it('fails the step when nothing reports a final state within wait-timeout', async () => {
    const started = Date.now();
    const run = await runAction({
      inputs: waiting('wait-timeout', { 'wait-timeout': '1' }),
      env: githubRun(4003),
    });

    expect(run.exitCode).toBe(1);
    expect(run.outputs.state).toBe('in_progress');
    expect(run.error).toContain('still in_progress after 1 s');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
