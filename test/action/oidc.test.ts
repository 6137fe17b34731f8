import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubRun, runAction } from '../helpers/action.ts';
import { apiClient, SHA } from '../helpers/api.ts';
import { ACTION_TOKEN, type Ledger, startLedger } from '../helpers/ledger.ts';
import { type OidcIssuer, startOidcIssuer, type TokenVariant } from '../helpers/oidc.ts';

const STOREFRONT_TOKEN = 'test-key-acme-storefront-0123456789';

describe('the Action authenticates with a GitHub Actions OIDC token', () => {
  let issuer: OidcIssuer;
  let ledger: Ledger;
  let runId = 3000;
  const job = (variant: TokenVariant = 'valid', audience?: string) => {
    runId += 1;
    return {
      inputs: {
        'server-url': ledger.server.url,
        environment: `oidc-${runId}`,
        ...(audience ? { 'oidc-audience': audience } : {}),
      },
      env: { ...githubRun(runId), ...issuer.jobEnv(runId, 1, variant) },
    };
  };

  beforeAll(async () => {
    issuer = await startOidcIssuer();
    // The issuer's JWKS comes from its default place, `<issuer>/.well-known/jwks`.
    ledger = await startLedger({
      DEPLOYLEDGER_API_KEYS: `acme/shop=${ACTION_TOKEN},acme/storefront=${STOREFRONT_TOKEN}`,
      DEPLOYLEDGER_OIDC_AUDIENCE: 'deployledger',
      DEPLOYLEDGER_OIDC_ISSUER: issuer.issuer,
    });
  });
  afterAll(async () => {
    await ledger?.stop();
    await issuer?.stop();
  });

  it('accepts a token signed by the trusted issuer, for this repository and run', async () => {
    const call = job();
    const run = await runAction(call);

    expect(run.exitCode, run.log).toBe(0);
    expect(run.outputs.state).toBe('in_progress');
    const record = (await ledger.api.get(run.outputs['deployment-id'] as string)).body;
    expect(record).toMatchObject({ repository: 'acme/shop', key: `${runId}-1`, run_id: runId });
    // The token is a secret: the runner is told to mask it.
    expect(run.log).toMatch(/^::add-mask::ey/m);

    const finish = await runAction({ ...call, inputs: { ...call.inputs, status: 'success' } });
    expect(finish.exitCode, finish.log).toBe(0);
    expect(finish.outputs.state).toBe('success');
  });

  it('renews its token while it waits: a wait longer than a token lives still sees the record end', async () => {
    const call = job('short-lived');
    const { environment } = call.inputs;
    const reportSuccessLater = async () => {
      for (let tries = 0; tries < 100; tries++) {
        const [record] = (await ledger.api.list({ repository: 'acme/shop', environment })).body.deployments;
        if (record) {
          // Two of the Action's tokens expire meanwhile.
          await new Promise((resolve) => setTimeout(resolve, 5000));
          return ledger.api.status(record.id, { state: 'success' });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`the Action never opened a record in ${environment}`);
    };
    const [run] = await Promise.all([
      runAction({ ...call, inputs: { ...call.inputs, wait: 'true', 'wait-interval': '0.5' } }),
      reportSuccessLater(),
    ]);

    expect(run.exitCode, run.log).toBe(0);
    expect(run.outputs.state).toBe('success');
  });

  const refusals: Array<{
    token: string;
    variant: TokenVariant;
    audience?: string;
    status: number;
    says: string;
  }> = [
    { token: 'forged (other key)', variant: 'forged', status: 401, says: 'bad signature' },
    { token: 'expired', variant: 'expired', status: 401, says: 'has expired' },
    {
      token: 'wrong-audience',
      variant: 'valid',
      audience: 'somebody-else',
      status: 401,
      says: 'request it with audience "deployledger"',
    },
    {
      token: 'other-repository',
      variant: 'other-repository',
      status: 403,
      says: 'not allowed to act on acme/shop',
    },
  ];
  for (const { token, variant, audience, status, says } of refusals) {
    it(`refuses a ${token} token with ${status}, fails the step and says why`, async () => {
      const call = job(variant, audience);
      const run = await runAction(call);

      expect(run.exitCode).toBe(1);
      expect(run.error).toContain(`answered ${status}`);
      expect(run.error).toContain(says);
      const records = await ledger.api.list({
        repository: 'acme/shop',
        environment: call.inputs.environment,
      });
      expect(records.body.deployments).toHaveLength(0);
    });
  }

  it('refuses a token of another run of the repository (403)', async () => {
    const call = job();
    const mismatched = { ...call, env: { ...call.env, ...issuer.jobEnv(runId + 500, 1) } };
    const run = await runAction(mismatched);

    expect(run.exitCode).toBe(1);
    expect(run.error).toContain('answered 403');
    expect(run.error).toContain(`names another run`);
  });

  it('refuses a final status sent with a token of another run (403), leaving the record as it was', async () => {
    const call = job();
    const started = await runAction(call);
    expect(started.exitCode, started.log).toBe(0);
    const otherRunsToken = { ...call.env, ...issuer.jobEnv(runId + 700, 1) };
    const finish = await runAction({ inputs: { ...call.inputs, status: 'success' }, env: otherRunsToken });

    expect(finish.exitCode).toBe(1);
    expect(finish.error).toContain('answered 403');
    const record = (await ledger.api.get(started.outputs['deployment-id'] as string)).body;
    expect(record.state).toBe('in_progress');
  });

  it('says to grant id-token: write when there is neither a token input nor an OIDC endpoint', async () => {
    const run = await runAction({
      inputs: { 'server-url': ledger.server.url, environment: 'no-permission' },
      env: githubRun(3999),
    });

    expect(run.exitCode).toBe(1);
    expect(run.error).toContain('permissions: id-token: write');
  });

  it('a replay of the Action’s request respells nothing: the records keep the spelling GitHub sent last', async () => {
    const call = job();
    const environment = call.inputs.environment;
    const started = await runAction(call);
    expect(started.exitCode, started.log).toBe(0);
    const id = started.outputs['deployment-id'] as string;
    const finished = await runAction({ ...call, inputs: { ...call.inputs, status: 'success' } });
    expect(finished.exitCode, finished.log).toBe(0);
    // The next deployment is spelled as GitHub now spells the repository: every record takes it.
    const next = await ledger.api.create(`respelled-${runId}`, {
      repository: 'Acme/Shop',
      environment,
      sha: SHA,
    });
    expect(next.status).toBe(201);
    expect((await ledger.api.get(id)).body.repository).toBe('Acme/Shop');

    // The first step's request again (a retried step): a replay, with the token's repository id.
    const again = await runAction(call);
    expect(again.exitCode, again.log).toBe(0);
    expect(again.outputs['deployment-id']).toBe(id);
    for (const record of [id, next.body.id])
      expect((await ledger.api.get(record)).body.repository).toBe('Acme/Shop');
  });

  it('a repository renamed on GitHub (same repository_id in the token) keeps its history under the new name', async () => {
    const before = job();
    const first = await runAction({ ...before, inputs: { ...before.inputs, environment: 'oidc-rename' } });
    expect(first.exitCode, first.log).toBe(0);
    await runAction({
      ...before,
      inputs: { ...before.inputs, environment: 'oidc-rename', status: 'success' },
    });

    // The same repository, renamed: GITHUB_REPOSITORY and the token's `repository` say
    // acme/storefront, its `repository_id` is unchanged.
    runId += 1;
    const renamed = {
      inputs: { 'server-url': ledger.server.url, environment: 'oidc-rename' },
      env: {
        ...githubRun(runId),
        GITHUB_REPOSITORY: 'acme/storefront',
        ...issuer.jobEnv(runId, 1, 'renamed'),
      },
    };
    const second = await runAction(renamed);
    expect(second.exitCode, second.log).toBe(0);

    const storefront = apiClient(ledger.server.url, STOREFRONT_TOKEN);
    const old = await storefront.get(first.outputs['deployment-id'] as string);
    expect(old.status).toBe(200);
    expect(old.body).toMatchObject({ repository: 'acme/storefront', state: 'success' });
    const history = await storefront.list({ repository: 'acme/storefront', environment: 'oidc-rename' });
    expect(history.body.deployments.map((d: { id: string }) => d.id)).toEqual([
      second.outputs['deployment-id'],
      first.outputs['deployment-id'],
    ]);
  });
});
