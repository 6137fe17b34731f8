import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { runCli } from '../helpers/cli.ts';
import { eventually, sample } from '../helpers/deliveries.ts';
import { startGithubApi } from '../helpers/github-api.ts';
import { githubAppCredentials, startGithubAppApi } from '../helpers/github-app-api.ts';
import { deploymentStatusDelivery } from '../helpers/github-echo.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const SECRET = 'recovery-webhook-secret';
const TOKEN = 'test-key-recovery-0123456789';
const REPOSITORY = 'acme/recovered';

type Event = {
  source: string;
  state: string;
  applied: boolean;
  reason: string | null;
  detail: Record<string, unknown>;
};

describe('deliveries missed while the server was down are recovered from the App hook log', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let github: Awaited<ReturnType<typeof startGithubAppApi>>;
  let server: RunningServer;
  let env: Record<string, string>;
  const api = () => apiClient(server.url, TOKEN);

  const start = async () => {
    server = await startServer(env);
    github.hook.target = server.url;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    github = await startGithubAppApi({ webhookSecret: SECRET });
    env = {
      DATABASE_URL: db.url,
      GITHUB_WEBHOOK_SECRET: SECRET,
      DEPLOYLEDGER_API_KEYS: `${REPOSITORY}=${TOKEN}`,
      GITHUB_API_URL: github.url,
      ...githubAppCredentials(),
      DEPLOYLEDGER_GITHUB_RETRY_BASE_MS: '50',
      DEPLOYLEDGER_RECOVERY_INTERVAL_S: '1',
    };
    await start();
  });
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    await db?.drop();
  });

  it('ends the record as GitHub said while the server was down: success at GitHub time, each delivery applied once, check clean', async () => {
    const runId = 7001;
    const created = await api().create(`${runId}-1`, {
      repository: REPOSITORY,
      environment: 'production',
      sha: SHA,
      state: 'in_progress',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // The sync creates the GitHub deployment (with our marker) and posts in_progress.
    await eventually(async () => (github.deployments.statuses.length === 1 ? true : undefined));
    const deployment = github.deployments.deployments[0]!;

    await server.stop();
    // While it is down, the rollout completes: GitHub records success and the run completes;
    // both deliveries fail (nothing listens) and GitHub does not send them again by itself.
    const doneAt = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const status = github.deployments.addStatus(deployment.id as number, {
      state: 'success',
      environment_url: 'https://shop.example.com',
      created_at: doneAt,
    });
    const statusDelivery = deploymentStatusDelivery(deployment, status);
    const run = sample(
      'workflow_run',
      (p) => p.action === 'completed' && p.workflow_run.conclusion === 'success',
    );
    run.repository.full_name = REPOSITORY;
    Object.assign(run.workflow_run, { id: runId, run_attempt: 1, head_sha: SHA, updated_at: doneAt });
    run.workflow_run.head_commit.id = SHA;
    const missed = [
      await github.hook.deliver('deployment_status', JSON.parse(statusDelivery.body)),
      await github.hook.deliver('workflow_run', run),
    ];
    for (const attempt of missed)
      expect(attempt).toMatchObject({ status: 'failed to connect', status_code: 0 });

    await start();
    const ended = await eventually(async () => {
      const { body } = await api().get(id);
      return body.state === 'success' ? body : undefined;
    }, 5_000);
    expect(ended).toMatchObject({
      state: 'success',
      deployed_at: new Date(doneAt).toISOString(),
      environment_url: 'https://shop.example.com',
    });
    const fromDelivery = (ended.events as Event[]).filter(
      (event) => event.detail?.delivery_id === missed[0]!.guid,
    );
    expect(fromDelivery).toHaveLength(1);
    expect(fromDelivery[0]).toMatchObject({ source: 'webhook', state: 'success', applied: true });

    // The recovered deliveries are stored under GitHub's delivery ids, once each.
    const stored = await query<{ delivery_id: string; processed: boolean }>(
      db.url,
      'SELECT delivery_id, done_at IS NOT NULL AS processed FROM webhook_delivery ORDER BY delivery_id',
    );
    expect(stored.map((row) => row.delivery_id).sort()).toEqual(missed.map((attempt) => attempt.guid).sort());
    await eventually(async () => {
      const rows = await query<{ n: string }>(
        db.url,
        'SELECT count(*) AS n FROM webhook_delivery WHERE done_at IS NULL',
      );
      return rows[0]!.n === '0' ? true : undefined;
    });

    // An operator also presses "Redeliver" in GitHub: acknowledged as a duplicate, not applied again.
    const redeliver = await fetch(`${github.url}/app/hook/deliveries/${missed[0]!.id}/attempts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fakeJwt()}` },
    });
    expect(redeliver.status).toBe(202);
    const again = await eventually(async () =>
      github.hook.log.find((attempt) => attempt.redelivery && attempt.guid === missed[0]!.guid),
    );
    expect(again).toMatchObject({ status_code: 200, redelivery: true });
    expect(JSON.parse(again.response.payload ?? '{}')).toMatchObject({ status: 'duplicate' });

    // A few more recovery intervals: nothing is recovered or applied twice.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const final = (await api().get(id)).body;
    expect(
      (final.events as Event[]).filter((event) => event.detail?.delivery_id === missed[0]!.guid),
    ).toHaveLength(1);
    expect(final.events).toHaveLength(ended.events.length);
    const recovered = server.logs.filter((line) => line.includes('delivery recovered from the hook log'));
    expect(recovered).toHaveLength(2);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /deployledger_github_deliveries_recovered_total\{hook="app",event="deployment_status"\} 1/,
    );
    expect(metrics).toMatch(
      /deployledger_github_deliveries_recovered_total\{hook="app",event="workflow_run"\} 1/,
    );
    expect(metrics).toMatch(/deployledger_github_delivery_recovery_lag_seconds_count 2/);
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { github_recovery: RecoveryReport };
    expect(ready.github_recovery).toMatchObject({ status: 'ok', interval_seconds: 1 });
    expect(ready.github_recovery.hooks[0]).toMatchObject({
      hook: 'app',
      status: 'ok',
      recovered_total: 2,
      error: null,
    });

    const check = await runCli(['check'], { DATABASE_URL: db.url });
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('with two replicas, a missed delivery is fetched and recovered once', async () => {
    const replica = await startServer(env);
    try {
      const target = github.hook.target;
      github.hook.target = null;
      const run = sample('workflow_run', (p) => p.action === 'requested');
      run.repository.full_name = REPOSITORY;
      const missed = await github.hook.deliver('workflow_run', run);
      github.hook.target = target;
      await eventually(async () => {
        const rows = await query(db.url, 'SELECT 1 FROM webhook_delivery WHERE delivery_id = $1', [
          missed.guid,
        ]);
        return rows.length === 1 ? true : undefined;
      }, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(github.hook.fetched.filter((id) => id === missed.id)).toHaveLength(1);
      const lines = [...server.logs, ...replica.logs].filter(
        (line) => line.includes('delivery recovered from the hook log') && line.includes(missed.guid),
      );
      expect(lines).toHaveLength(1);
    } finally {
      await replica.stop();
    }
  });

  it('a missed delivery whose text cannot be stored is kept as unprocessable and does not block the log', async () => {
    const target = github.hook.target;
    github.hook.target = null;
    const poisoned = sample('deployment', (p) => !p.workflow_run);
    poisoned.repository.full_name = REPOSITORY;
    poisoned.deployment.description = 'bad \u0000 byte';
    const bad = await github.hook.deliver('deployment', poisoned);
    const run = sample('workflow_run', (p) => p.action === 'requested');
    run.repository.full_name = REPOSITORY;
    const good = await github.hook.deliver('workflow_run', run);
    github.hook.target = target;
    const rows = await eventually(async () => {
      const found = await query<{ delivery_id: string; processed: boolean; last_error: string | null }>(
        db.url,
        'SELECT delivery_id, done_at IS NOT NULL AS processed, last_error FROM webhook_delivery WHERE delivery_id = ANY($1)',
        [[bad.guid, good.guid]],
      );
      return found.length === 2 ? found : undefined;
    }, 5_000);
    const byId = Object.fromEntries(rows.map((row) => [row.delivery_id, row]));
    expect(byId[bad.guid]).toMatchObject({ processed: true });
    expect(byId[bad.guid]?.last_error).toMatch(/unprocessable: deployment.description contains a NUL byte/);
  });

  it('shows on /readyz when GitHub rate-limits the delivery log, and catches up after the reset', async () => {
    const reset = Math.floor(Date.now() / 1000) + 6;
    const limited = await fetchLimited(github, server, reset);
    expect(limited).toMatchObject({ status: 'rate_limited', error_kind: 'rate_limited' });
    expect(limited.retry_at).toBe(new Date(reset * 1000).toISOString());
    const recovered = await eventually(async () => {
      const ready = (await (await fetch(`${server.url}/readyz`)).json()) as {
        github_recovery: RecoveryReport;
      };
      const hook = ready.github_recovery.hooks[0];
      return hook?.status === 'ok' ? hook : undefined;
    }, 20_000);
    expect(recovered.error).toBeNull();
    // Honoured: one refused call, then nothing until the reset (the interval is 1 s).
    expect(github.hookLimitedAnswers).toBe(1);
  });
});

/** Makes the App hook's log answer with GitHub's primary rate limit until `reset`, and waits for /readyz to say so. */
async function fetchLimited(
  github: Awaited<ReturnType<typeof startGithubAppApi>>,
  server: RunningServer,
  reset: number,
) {
  github.limitHookUntil(reset);
  return eventually(async () => {
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { github_recovery: RecoveryReport };
    const hook = ready.github_recovery.hooks[0];
    return hook?.status === 'rate_limited' ? hook : undefined;
  }, 10_000);
}

/** Any App JWT shape will do for the stand-in's own redelivery endpoint (it checks the shape, not the key). */
function fakeJwt() {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'RS256' })}.${part({ iss: '4242', iat: now, exp: now + 600 })}.sig`;
}

describe('/readyz says why delivery recovery is failing', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let github: Awaited<ReturnType<typeof startGithubApi>>;
  beforeAll(async () => {
    db = await createTestDatabase();
    github = await startGithubApi();
    github.addRepoHook('acme/denied', 11, SECRET);
  });
  afterAll(async () => {
    await github?.close();
    await db?.drop();
  });

  const recoveryOf = async (server: RunningServer, status: string) =>
    eventually(async () => {
      const answer = await fetch(`${server.url}/readyz`);
      const ready = (await answer.json()) as { github_recovery: RecoveryReport };
      expect(answer.status).toBe(200);
      return ready.github_recovery.status === status ? ready.github_recovery : undefined;
    }, 10_000);

  it('no credentials, a 403 for a missing permission, a 404 for a wrong hook id — readiness unaffected', async () => {
    const hooks = 'repo:acme/denied:11,org:acme:12';
    const bare = await startServer({ DATABASE_URL: db.url, DEPLOYLEDGER_GITHUB_HOOKS: hooks });
    try {
      const report = await recoveryOf(bare, 'failing');
      expect(report.hooks.map((hook) => hook.error_kind)).toEqual(['no_credentials', 'no_credentials']);
      expect(report.hooks[0]?.error).toMatch(/set GITHUB_TOKEN \(a token with admin:repo_hook/);
    } finally {
      await bare.stop();
    }

    github.limitNext(1, { status: 403, message: 'Must have admin rights to Repository.' });
    const server = await startServer({
      DATABASE_URL: db.url,
      GITHUB_TOKEN: 'ghs_not_admin',
      GITHUB_API_URL: github.url,
      DEPLOYLEDGER_GITHUB_HOOKS: hooks,
    });
    try {
      const report = await recoveryOf(server, 'failing');
      const byHook = Object.fromEntries(report.hooks.map((hook) => [hook.hook, hook]));
      expect(byHook['repo:acme/denied:11']).toMatchObject({ status: 'failing', error_kind: 'forbidden' });
      expect(byHook['repo:acme/denied:11']?.error).toMatch(/admin:repo_hook/);
      expect(byHook['org:acme:12']).toMatchObject({ status: 'failing', error_kind: 'not_found' });
      expect(byHook['org:acme:12']?.error).toMatch(/admin:org_hook/);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/deployledger_github_recovery_up\{hook="org:acme:12"\} 0/);
    } finally {
      await server.stop();
    }
  });
});

interface RecoveryReport {
  status: string;
  interval_seconds?: number;
  hooks: Array<{
    hook: string;
    status: string;
    error_kind: string | null;
    error: string | null;
    retry_at?: string | null;
    recovered_total?: number;
  }>;
}
