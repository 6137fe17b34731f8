import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { githubRun, runAction } from '../helpers/action.ts';
import { type FlakyProxy, startFlakyProxy } from '../helpers/flaky-proxy.ts';
import { ACTION_TOKEN, type Ledger, startLedger } from '../helpers/ledger.ts';

describe('the Action survives network trouble without a second record', () => {
  let ledger: Ledger;
  let proxy: FlakyProxy | undefined;
  const through = (url: string, environment: string, extra: Record<string, string> = {}) => ({
    'server-url': url,
    token: ACTION_TOKEN,
    environment,
    ...extra,
  });

  beforeAll(async () => {
    ledger = await startLedger();
  });
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });
  afterAll(async () => {
    await ledger?.stop();
  });

  it('retries 503, 503 (honouring Retry-After), then gets 201: one record, outputs set', async () => {
    proxy = await startFlakyProxy(ledger.server.url, [
      { status: 503, headers: { 'retry-after': '2' } },
      { status: 503 },
    ]);
    const started = Date.now();
    const run = await runAction({ inputs: through(proxy.url, 'flaky'), env: githubRun(2001) });

    expect(run.exitCode, run.log).toBe(0);
    expect(proxy.requests.map((r) => r.answered)).toEqual([503, 503, 201]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(run.log).toContain('retrying in 2.0 s');
    expect(run.outputs).toMatchObject({ state: 'in_progress', replayed: 'false' });
    const records = (await ledger.api.list({ repository: 'acme/shop', environment: 'flaky' })).body
      .deployments;
    expect(records.map((r: { id: string }) => r.id)).toEqual([run.outputs['deployment-id']]);
  });

  it('asks again when the answer is cut mid-body (the record was written): one record, outputs set', async () => {
    proxy = await startFlakyProxy(ledger.server.url, [{ cut: true }]);
    const run = await runAction({ inputs: through(proxy.url, 'cut'), env: githubRun(2005) });

    expect(run.exitCode, run.log).toBe(0);
    expect(proxy.requests.map((r) => r.answered)).toEqual([201, 200]);
    expect(run.log).toContain('failed while answering');
    expect(run.outputs).toMatchObject({ state: 'in_progress', replayed: 'true' });
    const records = (await ledger.api.list({ repository: 'acme/shop', environment: 'cut' })).body.deployments;
    expect(records.map((r: { id: string }) => r.id)).toEqual([run.outputs['deployment-id']]);
  });

  it('retries 429 on the final status too', async () => {
    await runAction({ inputs: through(ledger.server.url, 'throttled'), env: githubRun(2002) });
    proxy = await startFlakyProxy(ledger.server.url, [{ status: 429, headers: { 'retry-after': '0' } }]);
    const run = await runAction({
      inputs: through(proxy.url, 'throttled', { status: 'success' }),
      env: githubRun(2002),
    });

    expect(run.exitCode, run.log).toBe(0);
    expect(proxy.requests.map((r) => r.answered)).toEqual([429, 200]);
    expect(run.outputs.state).toBe('success');
  });

  it('never retries a 4xx other than 429: a refused token fails the step at once', async () => {
    proxy = await startFlakyProxy(ledger.server.url, []);
    const run = await runAction({
      inputs: { ...through(proxy.url, 'refused'), token: 'not-a-key-of-this-server' },
      env: githubRun(2003),
    });

    expect(run.exitCode).toBe(1);
    expect(proxy.requests.map((r) => r.answered)).toEqual([401]);
    expect(run.error).toContain('deployledger keys create');
  });

  it('gives up after max-attempts when the server stays down, saying what it tried', async () => {
    proxy = await startFlakyProxy(ledger.server.url, [
      { status: 502, headers: { 'retry-after': '0' } },
      { status: 502, headers: { 'retry-after': '0' } },
    ]);
    const run = await runAction({
      inputs: through(proxy.url, 'down', { 'max-attempts': '2' }),
      env: githubRun(2004),
    });

    expect(run.exitCode).toBe(1);
    expect(run.error).toContain('answered 502');
    expect(run.error).toContain('gave up after 2 attempts');
    expect(proxy.requests).toHaveLength(2);
  });
});
