import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReplayed, githubRun, runAction, startedRecord, stepInputs } from '../helpers/action.ts';
import { ACTION_TOKEN, type Ledger, startLedger } from '../helpers/ledger.ts';

describe('the Action starts and finishes a deployment record', () => {
  let ledger: Ledger;
  const inputs = (environment: string, extra: Record<string, string> = {}) =>
    stepInputs(ledger.server.url, ACTION_TOKEN, environment, extra);
  const recordsOf = async (environment: string) =>
    (await ledger.api.list({ repository: 'acme/shop', environment })).body.deployments;

  beforeAll(async () => {
    ledger = await startLedger();
  });
  afterAll(async () => {
    await ledger?.stop();
  });

  it('records one deployment when the same run starts twice; the second call is a replay', async () => {
    const first = await runAction({ inputs: inputs('replay'), env: githubRun(1001) });
    const second = await runAction({ inputs: inputs('replay'), env: githubRun(1001) });

    expectReplayed(first, second);
    const records = await recordsOf('replay');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject(startedRecord(1001));
    expect(second.summary).toContain(`${ledger.server.url}/v1/deployments/${first.outputs['deployment-id']}`);
  });

  it('opens a new record for attempt 2 of the run and marks attempt 1 inactive (superseded)', async () => {
    const attempt1 = await runAction({ inputs: inputs('rerun'), env: githubRun(1002, 1) });
    const attempt2 = await runAction({ inputs: inputs('rerun'), env: githubRun(1002, 2) });

    expect(attempt2.exitCode, attempt2.log).toBe(0);
    expect(attempt2.outputs['deployment-id']).not.toBe(attempt1.outputs['deployment-id']);
    const first = (await ledger.api.get(attempt1.outputs['deployment-id'] as string)).body;
    expect(first.state).toBe('inactive');
    expect(first.events.at(-1)).toMatchObject({ state: 'inactive', reason: 'superseded' });
    expect((await recordsOf('rerun')).map((r: { key: string }) => r.key)).toEqual(['1002-2', '1002-1']);
  });

  it("reports the job's status (success) by key; a cancelled job is recorded as error", async () => {
    await runAction({ inputs: inputs('finish-ok'), env: githubRun(1003) });
    const success = await runAction({
      inputs: inputs('finish-ok', { status: 'success', 'environment-url': 'https://shop.example.com' }),
      env: githubRun(1003),
    });
    expect(success.exitCode, success.log).toBe(0);
    expect(success.outputs.state).toBe('success');
    expect(success.summary).toContain('https://shop.example.com');

    await runAction({ inputs: inputs('finish-cancelled'), env: githubRun(1004) });
    const cancelled = await runAction({
      inputs: inputs('finish-cancelled', { status: 'cancelled' }),
      env: githubRun(1004),
    });
    expect(cancelled.exitCode, cancelled.log).toBe(0);
    const [record] = await recordsOf('finish-cancelled');
    expect(record).toMatchObject({ state: 'error', description: 'The job was cancelled.' });
  });

  it('finds the record by key even when the environment needs URL-encoding', async () => {
    const environment = 'prod/eu west';
    await runAction({ inputs: inputs(environment), env: githubRun(1005) });
    const failure = await runAction({
      inputs: inputs(environment, { status: 'failure' }),
      env: githubRun(1005),
    });
    expect(failure.exitCode, failure.log).toBe(0);
    expect(failure.outputs.state).toBe('failure');
  });

  it('fails with the active deployment named when the environment is busy; supersede: true replaces it', async () => {
    const running = await runAction({ inputs: inputs('busy'), env: githubRun(1006) });
    const blocked = await runAction({ inputs: inputs('busy'), env: githubRun(1007) });

    expect(blocked.exitCode).toBe(1);
    expect(blocked.error).toContain(`Deployment ${running.outputs['deployment-id']} (key 1006-1`);
    expect(blocked.error).toContain('supersede: true');
    expect(await recordsOf('busy')).toHaveLength(1);

    const replacing = await runAction({
      inputs: inputs('busy', { supersede: 'true' }),
      env: githubRun(1007),
    });
    expect(replacing.exitCode, replacing.log).toBe(0);
    expect((await ledger.api.get(running.outputs['deployment-id'] as string)).body.state).toBe('inactive');
  });

  it('fails a final status that has no started record, saying to start first', async () => {
    const orphan = await runAction({
      inputs: inputs('never-started', { status: 'success' }),
      env: githubRun(1008),
    });
    expect(orphan.exitCode).toBe(1);
    expect(orphan.error).toContain('status: start');
  });

  it('a start the server has no route for (server-url with /v1) says to check server-url, not to start first', async () => {
    const misplaced = await runAction({
      inputs: stepInputs(`${ledger.server.url}/v1`, ACTION_TOKEN, 'misplaced'),
      env: githubRun(1010),
    });
    expect(misplaced.exitCode).toBe(1);
    expect(misplaced.error).toContain('Check server-url');
    expect(misplaced.error).toContain(`${ledger.server.url}/v1/v1/deployments`);
    expect(misplaced.error).not.toContain('status: start');
    expect(await recordsOf('misplaced')).toEqual([]);
  });

  it('a server-url that redirects, or answers with something else than a record, fails the step saying so; nothing is recorded', async () => {
    // A redirect to the server itself (http → https, say): followed, the POST would arrive as a GET.
    const redirecting = await answering((req, res) => {
      res.writeHead(301, { location: `${ledger.server.url}${req.url}` }).end();
    });
    // A proxy in front of the server that wants a sign-in first.
    const signIn = await answering((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Sign in</body></html>');
    });
    try {
      const redirected = await runAction({
        inputs: stepInputs(redirecting.url, ACTION_TOKEN, 'elsewhere'),
        env: githubRun(1011),
      });
      expect(redirected.exitCode).toBe(1);
      expect(redirected.error).toContain(`answered 301, a redirect to ${ledger.server.url}/v1/deployments`);
      expect(redirected.error).toContain('set server-url');

      const proxied = await runAction({
        inputs: stepInputs(signIn.url, ACTION_TOKEN, 'elsewhere'),
        env: githubRun(1011),
      });
      expect(proxied.exitCode).toBe(1);
      expect(proxied.error).toContain('answered 200 (text/html), but not with a deployment record');
      expect(proxied.error).toContain('Check server-url');
      expect(proxied.outputs['deployment-id']).toBeUndefined();
    } finally {
      await redirecting.close();
      await signIn.close();
    }
    expect(await recordsOf('elsewhere')).toEqual([]);
  });

  it('warns when the final status is not applied (the record stays as it ended)', async () => {
    await runAction({ inputs: inputs('finish-twice'), env: githubRun(1012) });
    const success = await runAction({
      inputs: inputs('finish-twice', { status: 'success' }),
      env: githubRun(1012),
    });
    expect(success.log).not.toContain('::warning::');
    const failure = await runAction({
      inputs: inputs('finish-twice', { status: 'failure' }),
      env: githubRun(1012),
    });
    expect(failure.exitCode, failure.log).toBe(0);
    expect(failure.log).toMatch(
      /^::warning::Reported failure for deployment .*; it stays success \(conflicting\)\.$/m,
    );
    expect(failure.outputs.state).toBe('success');

    // Superseded by attempt 2 before it ended: its success is noted, no warning.
    await runAction({ inputs: inputs('finish-superseded'), env: githubRun(1013, 1) });
    await runAction({ inputs: inputs('finish-superseded'), env: githubRun(1013, 2) });
    const late = await runAction({
      inputs: inputs('finish-superseded', { status: 'success' }),
      env: githubRun(1013, 1),
    });
    expect(late.exitCode, late.log).toBe(0);
    expect(late.outputs.state).toBe('inactive');
    expect(late.log).not.toContain('::warning::');
  });

  it('refuses a status it does not know before calling the server', async () => {
    const wrong = await runAction({ inputs: inputs('typo', { status: 'succeeded' }), env: githubRun(1009) });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.error).toContain('Input status is "succeeded"');
    expect(await recordsOf('typo')).toHaveLength(0);
  });
  it('names several workloads (k8s-name, comma or newline separated) and the clusters to roll out in', async () => {
    const run = await runAction({
      inputs: inputs('release', {
        'k8s-namespace': 'shop',
        'k8s-name': 'web,\nworker\n',
        'k8s-clusters': 'east, west',
      }),
      env: githubRun(1010),
    });
    expect(run.exitCode, run.error).toBe(0);
    const [record] = await recordsOf('release');
    expect(record.k8s).toEqual({ namespace: 'shop', name: 'web', revision: null });
    expect(record.k8s_rollouts).toMatchObject({
      workloads: [
        { namespace: 'shop', name: 'web' },
        { namespace: 'shop', name: 'worker' },
      ],
      clusters: ['east', 'west'],
      progress: [],
    });
  });

  it('refuses a bad list of workloads or clusters before calling the server, naming the input', async () => {
    const duplicate = await runAction({
      inputs: inputs('bad-list', { 'k8s-namespace': 'shop', 'k8s-name': 'web,web' }),
      env: githubRun(1011),
    });
    expect(duplicate.exitCode).toBe(1);
    expect(duplicate.error).toContain('Input k8s-name: "web" is named twice');
    const empty = await runAction({
      inputs: inputs('bad-list', {
        'k8s-namespace': 'shop',
        'k8s-name': 'web',
        'k8s-clusters': 'east,,west',
      }),
      env: githubRun(1012),
    });
    expect(empty.exitCode).toBe(1);
    expect(empty.error).toContain('Input k8s-clusters: entry 2 is empty');
    expect(await recordsOf('bad-list')).toHaveLength(0);
  });
});

/** A local HTTP server answering every request with `listener`: what server-url may point at by mistake. */
async function answering(listener: RequestListener) {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
