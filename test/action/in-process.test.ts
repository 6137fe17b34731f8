import { syncBuiltinESMExports } from 'node:module';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectReplayed, startedRecord, stepInputs } from '../helpers/action.ts';
import { runContext, runInProcess } from '../helpers/action-in-process.ts';
import { API_KEY, fakeLedger, SERVER_URL, TOKEN_REQUEST_TOKEN, TOKEN_URL } from '../helpers/msw-ledger.ts';

// The Action's run() in this process, its HTTP calls answered by msw: our server's API and the
// runner's OIDC token endpoint. The same behaviours as the process-level tests beside this file
// (which run dist/index.js against the real server), in milliseconds each.
describe('the Action in-process (msw)', () => {
  const ledger = fakeLedger();
  const server = setupServer(...ledger.handlers);
  const inputs = (environment: string, extra: Record<string, string> = {}) =>
    stepInputs(SERVER_URL, API_KEY, environment, extra);

  beforeAll(() => {
    server.listen({ onUnhandledRequest: 'error' });
    // @actions/http-client (the OIDC request) imports node:https as an ES module: its bindings
    // see msw's patched https.request only once the built-ins' ESM exports are synced.
    syncBuiltinESMExports();
  });
  afterEach(() => {
    ledger.requests.length = 0;
    ledger.faults.length = 0;
  });
  afterAll(() => {
    server.close();
    syncBuiltinESMExports();
  });

  it('starts a record keyed by the run context, and a repeat is a replay', async () => {
    const first = await runInProcess({ inputs: inputs('replay'), context: runContext(1001) });
    const second = await runInProcess({ inputs: inputs('replay'), context: runContext(1001) });
    expectReplayed(first, second);
    const records = [...ledger.records.values()].filter((r) => r.environment === 'replay');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ ...startedRecord(1001), run_id: 1001, run_attempt: 1 });
  });

  it('takes the commit time from the context payload only when it is the sha deployed', async () => {
    const sha = 'a'.repeat(40);
    const head_commit = { id: sha, timestamp: '2026-03-01T12:00:00+01:00' };
    await runInProcess({
      inputs: inputs('commit-time'),
      context: runContext(1101, 1, { sha, eventName: 'push', payload: { head_commit } }),
    });
    await runInProcess({
      inputs: inputs('commit-time-other'),
      context: runContext(1102, 1, { eventName: 'push', payload: { head_commit } }),
    });
    const of = (environment: string) =>
      [...ledger.records.values()].find((r) => r.environment === environment);
    expect(of('commit-time')?.commit_at).toBe('2026-03-01T12:00:00+01:00');
    expect(of('commit-time-other')?.commit_at).toBeNull();
  });

  it('reports a final status by key; a cancelled job is recorded as error', async () => {
    await runInProcess({ inputs: inputs('finish'), context: runContext(1003) });
    const cancelled = await runInProcess({
      inputs: inputs('finish', { status: 'cancelled' }),
      context: runContext(1003),
    });
    expect(cancelled.exitCode, cancelled.log).toBe(0);
    expect(cancelled.outputs.state).toBe('error');
    expect(ledger.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/v1/deployments/by-key/acme/shop/finish/1003-1/status',
      status: 200,
    });
  });

  it('fails with the active deployment named on a 409, and a status for no record says to start first', async () => {
    const running = await runInProcess({ inputs: inputs('busy'), context: runContext(1006) });
    const blocked = await runInProcess({ inputs: inputs('busy'), context: runContext(1007) });
    expect(blocked.exitCode).toBe(1);
    expect(blocked.error).toContain(`Deployment ${running.outputs['deployment-id']} (key 1006-1`);
    expect(blocked.error).toContain('supersede: true');
    const orphan = await runInProcess({
      inputs: inputs('never-started', { status: 'success' }),
      context: runContext(1008),
    });
    expect(orphan.exitCode).toBe(1);
    expect(orphan.error).toContain('status: start');
  });

  it('retries a 503 with Retry-After and a 429, then succeeds; never retries a 401', async () => {
    ledger.faults.push(
      { status: 503, headers: { 'retry-after': '0' } },
      { status: 429, headers: { 'retry-after': '0' } },
    );
    const run = await runInProcess({ inputs: inputs('flaky'), context: runContext(2001) });
    expect(run.exitCode, run.log).toBe(0);
    expect(ledger.requests.map((r) => r.status)).toEqual([503, 429, 201]);
    expect(run.log).toContain('retrying in 0.0 s');

    ledger.requests.length = 0;
    const refused = await runInProcess({
      inputs: { ...inputs('refused'), token: 'not-a-key-of-this-server' },
      context: runContext(2003),
    });
    expect(refused.exitCode).toBe(1);
    expect(ledger.requests.map((r) => r.status)).toEqual([401]);
    expect(refused.error).toContain('deployledger keys create');
  });

  it('without a token input, asks the runner for an OIDC token for the audience and sends it', async () => {
    const run = await runInProcess({
      inputs: { ...inputs('oidc'), token: '' },
      context: runContext(3001),
      env: {
        ACTIONS_ID_TOKEN_REQUEST_URL: `${TOKEN_URL}?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: TOKEN_REQUEST_TOKEN,
      },
    });
    expect(run.exitCode, run.log).toBe(0);
    expect(run.log).toContain('::add-mask::oidc.deployledger.signature');
    const missing = await runInProcess({
      inputs: { ...inputs('no-oidc'), token: '' },
      context: runContext(3002),
    });
    expect(missing.exitCode).toBe(1);
    expect(missing.error).toContain('id-token: write');
  });

  it('waits for a final state with wait: true and fails the step when it is not a success', async () => {
    await runInProcess({ inputs: inputs('wait'), context: runContext(4001) });
    const record = [...ledger.records.values()].find((r) => r.environment === 'wait');
    setTimeout(() => {
      if (record) record.state = 'failure';
    }, 300);
    const waited = await runInProcess({
      inputs: inputs('wait', { wait: 'true', 'wait-interval': '0.1', 'wait-timeout': '5' }),
      context: runContext(4001),
    });
    expect(waited.exitCode).toBe(1);
    expect(waited.outputs.state).toBe('failure');
    expect(waited.error).toContain('ended failure');
  });
});
