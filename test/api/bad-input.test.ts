import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { ROOT, type RunningServer, startServer } from '../helpers/server.ts';
import { API_KEYS, OTHER_TOKEN, TOKEN } from './api-suite.ts';

const run = promisify(execFile);

describe('bad input gets a clear error and writes nothing', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  const good = { repository: 'acme/shop', environment: 'prod', sha: SHA };

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer({
      DATABASE_URL: db.url,
      DEPLOYLEDGER_API_KEYS: API_KEYS,
      DEPLOYLEDGER_BODY_LIMIT: '4096',
    });
    api = apiClient(server.url, TOKEN);
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  const counts = async () =>
    (
      await query<{ d: string; e: string }>(
        db.url,
        'SELECT (SELECT count(*) FROM deployment) AS d, (SELECT count(*) FROM deployment_event) AS e',
      )
    )[0];

  async function expectRefused(
    response: Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>,
    status: number,
    detail: RegExp,
  ) {
    const before = await counts();
    const answer = await response;
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
    expect(String(answer.body.detail)).toMatch(detail);
    expect(await counts()).toEqual(before);
    return answer.body;
  }

  it('invalid JSON → 400', async () => {
    await expectRefused(
      api.call('POST', '/v1/deployments', '{"repository": "acme/shop",', { 'idempotency-key': '1-1' }),
      400,
      /not valid JSON/,
    );
  });

  it('wrong types → 400 naming every bad field', async () => {
    const body = await expectRefused(
      api.create('2-1', {
        repository: 'not a repo',
        environment: 7,
        sha: 'xyz',
        run_id: 'abc',
        state: 'done',
        environment_url: 'javascript:alert(1)',
        supersede: 'yes',
        github_deployment: 'no',
        surprise: true,
      }),
      400,
      /repository.*environment.*sha.*run_id.*state.*environment_url.*supersede.*github_deployment/s,
    );
    const fields = (body.errors as Array<{ field: string }>).map((e) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'repository',
        'environment',
        'sha',
        'run_id',
        'state',
        'environment_url',
        'supersede',
        'github_deployment',
      ]),
    );
  });

  it('a missing body field → 400', async () => {
    await expectRefused(api.create('3-1', { repository: 'acme/shop', sha: SHA }), 400, /environment/);
  });

  it('a missing, empty or over-long Idempotency-Key → 400', async () => {
    await expectRefused(api.call('POST', '/v1/deployments', good), 400, /Idempotency-Key header is required/);
    await expectRefused(api.create('""', good), 400, /empty/);
    await expectRefused(api.create('k'.repeat(256), good), 400, /at most 255/);
  });

  it('a body over the limit → 413', async () => {
    await expectRefused(
      api.create('4-1', { ...good, description: 'x'.repeat(5000) }),
      413,
      /larger than 4096 bytes/,
    );
    const created = await api.create('4-2', { ...good, environment: 'prod-413' });
    expect(created.status).toBe(201);
    await expectRefused(
      api.status(created.body.id, { state: 'success', description: 'x'.repeat(5000) }),
      413,
      /larger than 4096 bytes/,
    );
    expect((await api.get(created.body.id)).body.state).toBe(created.body.state);
  });

  it('an invalid status → 400, an unknown record → 404', async () => {
    const created = await api.create('5-1', good);
    expect(created.status).toBe(201);
    await expectRefused(
      api.status(created.body.id, { state: 'finished', at: 'yesterday' }),
      400,
      /state.*at/s,
    );
    await expectRefused(
      api.status('00000000-0000-4000-8000-000000000000', { state: 'success' }),
      404,
      /No deployment has the id/,
    );
  });

  it('no token, a bad token, a token for another repository → 401 / 401 / 403', async () => {
    await expectRefused(apiClient(server.url, '').create('6-1', good), 401, /Bearer/);
    await expectRefused(
      apiClient(server.url, 'dl_AAAAAAAAAAAA_forged').create('6-1', good),
      401,
      /not a valid/,
    );
    await expectRefused(
      apiClient(server.url, OTHER_TOKEN).create('6-1', good),
      403,
      /not allowed to act on acme\/shop/,
    );
  });

  const problemFields = (body: Record<string, unknown>) =>
    (body.errors as Array<{ field: string; message: string }>).map((e) => e.field);

  it('a NUL byte in any string field → 400 naming the field (not a 500 "safe to retry")', async () => {
    const body = await expectRefused(
      api.create('20-1', {
        ...good,
        environment: 'prod\u0000',
        description: 'a\u0000b',
        k8s: { namespace: 'ns', name: 'x\u0000' },
      }),
      400,
      /environment.*description.*k8s\.name/s,
    );
    expect(problemFields(body)).toEqual(expect.arrayContaining(['environment', 'description', 'k8s.name']));
    expect(JSON.stringify(body.errors)).toContain('NUL byte');
    const created = await api.create('20-2', { ...good, environment: 'nul-status' });
    expect(created.status).toBe(201);
    await expectRefused(
      api.status(created.body.id, { state: 'success', description: 'done\u0000' }),
      400,
      /description/,
    );
    expect((await api.get(created.body.id)).body.state).toBe('pending');
  });

  it('bad Kubernetes lists (empty, duplicate, too many, NUL, not DNS-1123) → 400 naming the field', async () => {
    const k8s = (name: unknown, namespace = 'shop') => ({ ...good, k8s: { namespace, name } });
    const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
      ['30-1', k8s([]), 'k8s.name', /names no workload/],
      ['30-2', k8s(['web', '']), 'k8s.name', /entry 2 is empty/],
      ['30-3', k8s(['web', 'worker', 'web']), 'k8s.name', /"web" is named twice/],
      ['30-4', k8s(Array.from({ length: 21 }, (_, i) => `w${i}`)), 'k8s.name', /at most 20/],
      ['30-5', k8s(['web', 'Worker_1']), 'k8s.name', /"Worker_1" is not a valid workload name/],
      ['30-6', k8s(['web', 'x\u0000']), 'k8s.name', /NUL/],
      ['30-7', k8s('-web'), 'k8s.name', /not a valid workload name/],
      ['30-8', k8s('web', 'Team_A'), 'k8s.namespace', /namespace name/],
      ['30-9', { ...good, k8s_clusters: [] }, 'k8s_clusters', /names no cluster/],
      ['30-10', { ...good, k8s_clusters: ['east', 'east'] }, 'k8s_clusters', /"east" is named twice/],
      ['30-11', { ...good, k8s_clusters: ['east', 'has space'] }, 'k8s_clusters', /not a valid cluster name/],
      [
        '30-12',
        { ...good, k8s_clusters: Array.from({ length: 11 }, (_, i) => `c${i}`) },
        'k8s_clusters',
        /at most 10/,
      ],
      ['30-13', { ...good, k8s_clusters: ['east', 'we\u0000st'] }, 'k8s_clusters', /NUL/],
      ['30-14', { ...good, k8s_clusters: 'east,west' }, 'k8s_clusters', /array/],
    ];
    for (const [key, body, field, message] of cases) {
      const refused = await expectRefused(api.create(key, body), 400, new RegExp(field.replace('.', '\\.')));
      const issues = refused.errors as Array<{ field: string; message: string }>;
      expect(issues.map((issue) => issue.field)).toContain(field);
      expect(issues.map((issue) => issue.message).join('\n')).toMatch(message);
    }
    // The same lists, well formed, are taken.
    const taken = await api.create('30-20', {
      ...k8s(['web', 'worker.v2']),
      environment: 'k8s-lists',
      k8s_clusters: ['east', 'gke_acme_europe-west1_prod', 'arn:aws:eks:eu-west-1:1:cluster/prod'],
    });
    expect(taken.status).toBe(201);
    expect(taken.body.k8s).toEqual({ namespace: 'shop', name: 'web', revision: null });
    expect(taken.body.k8s_rollouts).toMatchObject({
      workloads: [
        { namespace: 'shop', name: 'web' },
        { namespace: 'shop', name: 'worker.v2' },
      ],
      clusters: ['east', 'gke_acme_europe-west1_prod', 'arn:aws:eks:eu-west-1:1:cluster/prod'],
      progress: [],
    });
  });

  it('a NUL byte in a query parameter or a path segment → 400 naming it', async () => {
    const query = await expectRefused(
      api.call('GET', '/v1/deployments?repository=acme/shop&environment=prod%00'),
      400,
      /query parameter environment/,
    );
    expect(JSON.stringify(query.errors)).toContain('NUL byte');
    await expectRefused(
      api.call('POST', '/v1/deployments/by-key/acme/shop/prod%00/1-1/status', { state: 'success' }),
      400,
      /environment/,
    );
    await expectRefused(
      api.call('POST', '/v1/deployments/by-key/acme/shop/prod/1-1%00/status', { state: 'success' }),
      400,
      /\bkey\b/,
    );
    await expectRefused(api.call('GET', '/v1/deployments?environment=%ff'), 400, /environment/);
  });

  it('a lone surrogate in a JSON string → 400, not silently replaced with U+FFFD', async () => {
    const body = await expectRefused(
      api.call(
        'POST',
        '/v1/deployments',
        `{"repository":"acme/shop","environment":"surrogate","sha":"${SHA}","description":"x\\ud800y"}`,
        {
          'idempotency-key': '21-1',
        },
      ),
      400,
      /description/,
    );
    expect(JSON.stringify(body.errors)).toContain('surrogate');
    // A proper pair (an emoji) is fine.
    expect(
      (await api.create('21-2', { ...good, environment: 'surrogate', description: 'ok 😀' })).status,
    ).toBe(201);
  });

  it('a body that is not UTF-8 → 400', async () => {
    const before = await counts();
    const response = await fetch(`${server.url}/v1/deployments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        'idempotency-key': '22-1',
      },
      body: Buffer.concat([
        Buffer.from(`{"repository":"acme/shop","environment":"`),
        Buffer.from([0xc3, 0x28]),
        Buffer.from(`","sha":"${SHA}"}`),
      ]),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/not valid UTF-8/);
    expect(await counts()).toEqual(before);
  });

  it('an Idempotency-Key outside printable ASCII → 400 citing the Structured Field String rule', async () => {
    // Header values travel as bytes: UTF-8 "ключ" arrives as Latin-1 mojibake unless refused.
    const utf8 = Buffer.from('ключ-1').toString('latin1');
    await expectRefused(api.create(utf8, good), 400, /Structured Field String/);
    await expectRefused(api.create('"caf\u00e9"', good), 400, /printable ASCII/);
    await expectRefused(api.create('"1\\n2"', good), 400, /Structured Field String/);
    await expectRefused(api.create('"a"b"', good), 400, /Structured Field String/);
    expect((await api.create('"23-1 \\"quoted\\""', { ...good, environment: 'sf' })).status).toBe(201);
  });

  it('a body run_id or run_attempt other than the run its Idempotency-Key names → 400 naming them', async () => {
    const body = await expectRefused(
      api.create('25-1', { ...good, environment: 'run-mismatch', run_id: 26, run_attempt: 2 }),
      400,
      /run_id, run_attempt/,
    );
    expect(problemFields(body)).toEqual(['run_id', 'run_attempt']);
    const agreeing = await api.create('25-1', {
      ...good,
      environment: 'run-mismatch',
      run_id: 25,
      run_attempt: 1,
    });
    expect(agreeing.status).toBe(201);
    // A key that names no run leaves the body to name it.
    expect((await api.create('deploy-27', { ...good, environment: 'run-plain', run_id: 27 })).status).toBe(
      201,
    );
  });

  it('an Idempotency-Key header sent twice → 400, not a key made of both values', async () => {
    const twice = new Headers({ authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' });
    twice.append('idempotency-key', '24-1');
    twice.append('idempotency-key', '24-1');
    const answer = await fetch(`${server.url}/v1/deployments`, {
      method: 'POST',
      headers: twice,
      body: JSON.stringify({ ...good, environment: 'twice' }),
    });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { detail: string }).detail).toMatch(/must be sent once/);
    await expectRefused(
      api.create('24-1, 24-2', { ...good, environment: 'twice' }),
      400,
      /must be sent once/,
    );
    expect((await api.create('"24-1,a"', { ...good, environment: 'twice' })).status).toBe(201);
  });

  it('a crafted cursor that decodes but holds a bad id or time → 400, not 500', async () => {
    const crafted = (text: string) => Buffer.from(text).toString('base64url');
    for (const cursor of [
      crafted('2026-01-01T00:00:00.000Z|------------------------------------'),
      crafted('2026-01-01T00:00:00.000Z|zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'),
      crafted('2026-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000\u0000'),
      crafted('-271821-04-20T00:00:00.000Z|00000000-0000-4000-8000-000000000000'),
      crafted('+275760-09-13T00:00:00.000Z|00000000-0000-4000-8000-000000000000'),
      crafted('2026-13-45T99:99:99.000Z|00000000-0000-4000-8000-000000000000'),
    ]) {
      await expectRefused(
        api.call('GET', `/v1/deployments?repository=acme/shop&cursor=${cursor}`),
        400,
        /cursor is not one this server issued/,
      );
    }
  });

  it('timestamps the database cannot store → 400', async () => {
    await expectRefused(
      api.create('24-1', { ...good, environment: 'year-zero', commit_at: '0000-01-01T00:00:00Z' }),
      400,
      /commit_at/,
    );
  });

  it('a run attempt the database cannot store → 400; a key whose numbers name no run is a plain key', async () => {
    await expectRefused(
      api.create('25-1', { ...good, environment: 'huge-attempt', run_attempt: 3_000_000_000 }),
      400,
      /run_attempt/,
    );
    // `<run_id>-<run_attempt>` past what a record holds: stored under the key, with no run.
    for (const key of ['26-3000000000', '99999999999999999999-1']) {
      const created = await api.create(key, { ...good, environment: `huge-key-${key.length}` });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ key, run_id: null, run_attempt: null });
    }
  });

  it('`deployledger keys create` prints a key once, stores only its hash, and the key works', async () => {
    const { stdout } = await run(process.execPath, ['bin/deployledger.js', 'keys', 'create', 'acme/keyed'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url },
    });
    const key = stdout.trim();
    expect(key).toMatch(/^dl_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{32}$/);
    const stored = await query<{ hash: string; repository: string }>(
      db.url,
      'SELECT hash, repository FROM api_key',
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]!.repository).toBe('acme/keyed');
    expect(JSON.stringify(stored)).not.toContain(key);
    const created = await apiClient(server.url, key).create('7-1', { ...good, repository: 'acme/keyed' });
    expect(created.status).toBe(201);
    expect((await apiClient(server.url, key).create('7-2', good)).status).toBe(403);
  });
});
