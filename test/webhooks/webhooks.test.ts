import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { delivery, eventually, sample, send, setRepository } from '../helpers/deliveries.ts';
import { startGithubApi } from '../helpers/github-api.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const SECRET = 'webhook-secret-new';
const OLD_SECRET = 'webhook-secret-old';
const TOKEN = 'test-key-webhooks-0123456789';
const REPOS = ['acme/hooks-a', 'acme/hooks-b', 'acme/hooks-c', 'acme/hooks-d', 'acme/hooks-e'];

/** GitHub's sample deliveries of one workflow run's deployment, moved to `repository`. */
function runDeliveries(repository: string) {
  const deployment = sample('deployment', (p) => Boolean(p.workflow_run));
  const running = sample('deployment_status', (p) => p.deployment_status.state === 'in_progress');
  const success = sample('deployment_status', (p) => p.deployment_status.state === 'in_progress');
  success.deployment_status.state = 'success';
  success.deployment_status.created_at = '2022-01-03T01:29:40Z';
  success.deployment_status.environment_url = 'https://hello.example.com';
  // The samples come from different recordings; one deployment's deliveries all carry it.
  running.deployment = structuredClone(deployment.deployment);
  success.deployment = structuredClone(deployment.deployment);
  for (const payload of [deployment, running, success]) setRepository(payload, repository);
  return [
    delivery('deployment', deployment),
    delivery('deployment_status', running),
    delivery('deployment_status', success),
  ];
}

describe('GitHub webhook deliveries', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;
  const api = () => apiClient(server.url, TOKEN);
  const recordsOf = async (repository: string) =>
    (await api().list({ repository })).body.deployments as Array<Record<string, unknown>>;
  const storedDeliveries = async () =>
    Number((await query<{ n: string }>(db.url, 'SELECT count(*) AS n FROM webhook_delivery'))[0]!.n);

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer({
      DATABASE_URL: db.url,
      GITHUB_WEBHOOK_SECRET: `${SECRET},${OLD_SECRET}`,
      DEPLOYLEDGER_API_KEYS: REPOS.map((repo) => `${repo}=${TOKEN}`).join(','),
    });
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it('folds deployment → in_progress → success of one workflow run into one record with the run key', async () => {
    for (const d of runDeliveries('acme/hooks-a'))
      expect((await send(server.url, SECRET, d)).status).toBe(202);
    // All three deliveries folded in: the record's timeline holds one event for each.
    await eventually(async () => {
      const [r] = await recordsOf('acme/hooks-a');
      const events = r && (await api().get(String(r.id))).body.events;
      return events?.length === 3 ? r : undefined;
    });
    const records = await recordsOf('acme/hooks-a');
    expect(records).toHaveLength(1);
    const record = records[0];
    expect(record).toMatchObject({
      key: '289782451-1',
      environment: 'github-pages',
      state: 'success',
      run_id: 289782451,
      run_attempt: 1,
      github_deployment_id: 145988746,
      environment_url: 'https://hello.example.com',
      started_at: '2022-01-03T01:28:40.000Z',
      deployed_at: '2022-01-03T01:29:40.000Z',
    });
  });

  it('gives the same record for the deliveries in reverse order, each redelivered', async () => {
    const deliveries = runDeliveries('acme/hooks-b').reverse();
    for (const d of deliveries) expect((await send(server.url, SECRET, d)).status).toBe(202);
    for (const d of deliveries) {
      const again = await send(server.url, SECRET, d);
      expect(again).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    }
    const reference = (await recordsOf('acme/hooks-a'))[0]!;
    await eventually(async () => {
      const [r] = await recordsOf('acme/hooks-b');
      const events = r && (await api().get(String(r.id))).body.events;
      return events?.length === 3 ? r : undefined;
    });
    const [record] = await recordsOf('acme/hooks-b');
    const comparable = (r: Record<string, unknown>) => {
      const { id, repository, updated_at, ...rest } = r;
      return rest;
    };
    expect(comparable(record!)).toEqual(comparable(reference));
    expect(await recordsOf('acme/hooks-b')).toHaveLength(1);
  });

  it('refuses a bad, missing or unknown-secret signature (401) and stores nothing; accepts the previous secret', async () => {
    const [d] = runDeliveries('acme/hooks-c');
    const before = await storedDeliveries();
    expect((await send(server.url, 'wrong-secret', d!)).status).toBe(401);
    expect((await send(server.url, null, d!)).status).toBe(401);
    expect(
      (await send(server.url, SECRET, { ...d!, body: d!.body.replace('github-pages', 'production') }, {}))
        .status,
    ).toBe(202);
    // …but a body changed after signing is refused:
    const tampered = await fetch(`${server.url}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'deployment',
        'x-github-delivery': 'tampered-1',
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      },
      body: d!.body,
    });
    expect(tampered.status).toBe(401);
    expect(await storedDeliveries()).toBe(before + 1);
    const rotated = delivery('deployment', JSON.parse(d!.body));
    expect((await send(server.url, OLD_SECRET, rotated)).status).toBe(202);
  });

  it('answers malformed JSON with 400 and stores nothing; answers ping', async () => {
    const before = await storedDeliveries();
    const broken = { event: 'deployment', id: 'broken-1', body: '{"deployment": ' };
    const answer = await send(server.url, SECRET, broken);
    expect(answer.status).toBe(400);
    expect(answer.body.detail).toMatch(/not valid JSON/);
    expect(await storedDeliveries()).toBe(before);
    const ping = await send(server.url, SECRET, delivery('ping', sample('ping')));
    expect(ping.status).toBe(200);
    expect(ping.body.status).toBe('pong');
  });

  it('stores and folds a delivery of several MB (GitHub sends up to 25 MB, once)', async () => {
    const [created] = runDeliveries('acme/hooks-e');
    const payload = JSON.parse((created as { body: string }).body);
    payload.deployment.payload = { manifest: 'x'.repeat(3 * 1024 * 1024) };
    const large = delivery('deployment', payload);
    expect(large.body.length).toBeGreaterThan(3 * 1024 * 1024);
    expect((await send(server.url, SECRET, large)).status).toBe(202);
    await eventually(async () => ((await recordsOf('acme/hooks-e')).length === 1 ? true : undefined));
  });

  it('a cancelled or failed workflow_run ends its still-active deployment', async () => {
    const run = sample(
      'workflow_run',
      (p) => p.action === 'completed' && p.workflow_run.conclusion === 'success',
    );
    const runId = run.workflow_run.id as number;
    const created = await api().create(`${runId}-1`, {
      repository: 'acme/hooks-d',
      environment: 'production',
      sha: SHA,
      state: 'running',
    });
    expect(created.status).toBe(201);
    setRepository(run, 'acme/hooks-d');
    expect((await send(server.url, SECRET, delivery('workflow_run', run))).status).toBe(202);
    run.workflow_run.conclusion = 'cancelled';
    expect((await send(server.url, SECRET, delivery('workflow_run', run))).status).toBe(202);
    const ended = await eventually(async () => {
      const r = (await api().get(created.body.id)).body;
      return r.state === 'in_progress' ? undefined : r;
    });
    expect(ended.state).toBe('error');
    expect(ended.completed_at).not.toBeNull();
    expect(ended.events.at(-1)).toMatchObject({
      source: 'webhook',
      applied: true,
      reason: 'workflow_run_cancelled',
    });
  });
});

describe('a delivery that could not be stored (503) is recovered from the hook log (token, repository hook)', () => {
  const REPOSITORY = 'acme/hooks-f';
  const HOOK_ID = 4321;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let github: Awaited<ReturnType<typeof startGithubApi>>;
  let hook: ReturnType<Awaited<ReturnType<typeof startGithubApi>>['addRepoHook']>;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    github = await startGithubApi();
    hook = github.addRepoHook(REPOSITORY, HOOK_ID, SECRET);
    server = await startServer({
      DATABASE_URL: db.url,
      GITHUB_WEBHOOK_SECRET: SECRET,
      DEPLOYLEDGER_API_KEYS: `${REPOSITORY}=${TOKEN}`,
      GITHUB_TOKEN: 'ghs_recovery_token',
      GITHUB_API_URL: github.url,
      DEPLOYLEDGER_GITHUB_HOOKS: `repo:${REPOSITORY}:${HOOK_ID}`,
      DEPLOYLEDGER_RECOVERY_INTERVAL_S: '1',
    });
    hook.target = server.url;
  });
  afterAll(async () => {
    await server.stop();
    await github.close();
    await db.drop();
  });

  it('answers 503 when the delivery cannot be stored, and recovers it from the log, past a page of later deliveries', async () => {
    const [d] = runDeliveries(REPOSITORY);
    const payload = JSON.parse(d!.body);
    // GitHub's API is briefly unavailable too, so the failed delivery ends up behind a full page.
    hook.down = true;
    await query(db.url, 'ALTER TABLE webhook_delivery RENAME TO webhook_delivery_away');
    let refused: Awaited<ReturnType<typeof hook.deliver>>;
    try {
      refused = await hook.deliver('deployment', payload);
      expect(refused.status_code).toBe(503);
      expect(JSON.parse(refused.response.payload ?? '{}').detail).toMatch(/redeliver/);
    } finally {
      await query(db.url, 'ALTER TABLE webhook_delivery_away RENAME TO webhook_delivery');
    }
    const target = hook.target;
    hook.target = null;
    for (let i = 0; i < 120; i++)
      await hook.deliver('ping', { zen: 'Keep it logically awesome.', hook_id: HOOK_ID });
    hook.target = target;
    const failing = await eventually(async () => {
      const ready = (await (await fetch(`${server.url}/readyz`)).json()) as {
        github_recovery: { status: string; hooks: Array<Record<string, unknown>> };
      };
      return ready.github_recovery.status === 'failing' ? ready.github_recovery.hooks[0] : undefined;
    });
    expect(failing).toMatchObject({ hook: `repo:${REPOSITORY}:${HOOK_ID}`, error_kind: 'unavailable' });
    hook.down = false;

    const api = apiClient(server.url, TOKEN);
    const [record] = await eventually(async () => {
      const records = (await api.list({ repository: REPOSITORY })).body.deployments;
      return records.length ? records : undefined;
    });
    expect(record).toMatchObject({ key: '289782451-1', state: 'pending' });
    // Found on the second page, through the Link header's cursor, with the token.
    const listed = github.calls.filter(
      (call) => call.path === `/repos/${REPOSITORY}/hooks/${HOOK_ID}/deliveries`,
    );
    expect(listed.some((call) => call.query.includes('cursor=') && call.status === 200)).toBe(true);
    expect(
      github.calls.filter(
        (call) => call.path === `/repos/${REPOSITORY}/hooks/${HOOK_ID}/deliveries/${refused!.id}`,
      ),
    ).toHaveLength(1);
    // The position is the newest delivery of the log; a manual redelivery now is a duplicate.
    const [position] = await eventually(async () => {
      const rows = await query<{ last_delivery_id: string }>(
        db.url,
        'SELECT last_delivery_id FROM github_hook_recovery',
      );
      return rows[0]?.last_delivery_id ? rows : undefined;
    });
    expect(Number(position!.last_delivery_id)).toBe(hook.newestFirst()[0]!.id);
    expect(await send(server.url, SECRET, { ...d!, id: refused!.guid })).toMatchObject({
      status: 200,
      body: { status: 'duplicate' },
    });
  });
});

describe('a record opened by a delivery, then the Action', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer({
      DATABASE_URL: db.url,
      GITHUB_WEBHOOK_SECRET: SECRET,
      DEPLOYLEDGER_API_KEYS: `acme/hooks-g=${TOKEN}`,
    });
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it("lands the Action's start on the record the run's delivery opened (200, same id), and replays after", async () => {
    const [deployment] = runDeliveries('acme/hooks-g');
    expect((await send(server.url, SECRET, deployment!)).status).toBe(202);
    const api = apiClient(server.url, TOKEN);
    const opened = await eventually(async () => {
      const [r] = (await api.list({ repository: 'acme/hooks-g' })).body.deployments;
      return r ?? undefined;
    });
    const body = {
      repository: 'acme/hooks-g',
      environment: 'github-pages',
      sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
      state: 'in_progress',
      environment_url: 'https://pages.example.com',
    };
    const start = await api.create('289782451-1', body);
    expect(start.status).toBe(200);
    expect(start.headers.get('idempotent-replayed')).toBeNull();
    expect(start.body).toMatchObject({
      id: opened.id,
      state: 'in_progress',
      github_deployment_id: 145988746,
      environment_url: 'https://pages.example.com',
    });
    const again = await api.create('289782451-1', body);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await api.create('289782451-1', { ...body, state: 'success' })).status).toBe(422);
    expect((await api.list({ repository: 'acme/hooks-g' })).body.deployments).toHaveLength(1);
    const events = (await api.get(String(opened.id))).body.events;
    expect(events.map((e: { source: string; reason: string }) => [e.source, e.reason])).toEqual([
      ['webhook', 'created'],
      ['action', 'adopted'],
    ]);
  });
});
