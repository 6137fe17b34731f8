import { describe, expect, it } from 'vitest';
import type { LedgerStore } from '../../server/db/ledger-store.ts';
import { type NewDeployment, NO_HISTORY, openRecord } from '../../server/ledger/index.ts';
import { SHA } from '../helpers/api.ts';
import { inProcessApp } from '../helpers/app-routes.ts';

// The routes' validation in this process with Hono's app.request(): no server, no database (the
// stand-ins fail any request that reaches them). What the routes answer over HTTP, and that bad
// input writes nothing to a real database, is proven against the server in bad-input.test.ts.

const TOKEN = 'route-test-token';
const verifiers = [
  {
    verify: async (token: string) =>
      token === TOKEN ? { kind: 'api_key' as const, repositories: ['acme/shop'] } : null,
  },
];
const good = { repository: 'acme/shop', environment: 'prod', sha: SHA };

function request(
  app: ReturnType<typeof inProcessApp>,
  method: string,
  path: string,
  options: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
) {
  return app.request(path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...options.headers },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
}

async function problem(response: Response, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as { detail: string; errors?: Array<{ field: string; message: string }> };
}

describe('POST /v1/deployments in process', () => {
  const app = inProcessApp({ verifiers });
  const create = (
    body: string | Uint8Array,
    headers: Record<string, string> = { 'idempotency-key': '1-1' },
  ) => request(app, 'POST', '/v1/deployments', { body, headers });

  it('names every bad field at once, strings that cannot be stored with the schema’s', async () => {
    const body = await problem(
      await create(
        JSON.stringify({
          repository: 'not a repo',
          environment: 'prod\u0000',
          sha: 'xyz',
          description: 'x\ud800y',
          state: 'done',
          surprise: true,
        }),
      ),
      400,
    );
    expect(body.detail).toBe('Invalid fields: environment, description, repository, sha, state, (body).');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { field: 'environment', message: expect.stringContaining('NUL byte') },
        { field: 'description', message: expect.stringContaining('lone UTF-16 surrogate') },
        { field: 'repository', message: 'must be "owner/name"' },
        { field: 'sha', message: 'must be a commit sha (7 to 64 hex characters)' },
        { field: '(body)', message: expect.stringContaining('surprise') },
      ]),
    );
  });

  it('reads the Idempotency-Key by its structured-field rules, in its own words', async () => {
    const json = JSON.stringify(good);
    expect((await problem(await create(json, {}), 400)).detail).toMatch(/Idempotency-Key header is required/);
    expect((await problem(await create(json, { 'idempotency-key': '""' }), 400)).detail).toMatch(/empty/);
    expect((await problem(await create(json, { 'idempotency-key': '"a"b"' }), 400)).detail).toMatch(
      /not a valid Structured Field String/,
    );
    const long = await problem(await create(json, { 'idempotency-key': 'k'.repeat(256) }), 400);
    expect(long).toEqual(expect.objectContaining({ detail: expect.stringMatching(/256 characters long/) }));
    expect(long.errors).toBeUndefined();
  });

  it('refuses a body that is not JSON, not UTF-8 or not parseable with our Problem, never a 415', async () => {
    const json = JSON.stringify(good);
    const headers = { 'idempotency-key': '1-1', 'content-type': 'text/plain' };
    expect((await problem(await create(json, headers), 400)).detail).toMatch(/must be JSON/);
    const latin1 = new Uint8Array([...Buffer.from('{"repository":"'), 0xc3, 0x28, ...Buffer.from('"}')]);
    expect((await problem(await create(latin1), 400)).detail).toMatch(/not valid UTF-8/);
    expect((await problem(await create('{"repository":'), 400)).detail).toMatch(/not valid JSON/);
  });

  it('hands a valid request to the store as the schema read it', async () => {
    const seen: NewDeployment[] = [];
    const store = {
      create: async (request: NewDeployment, source: 'action', at: Date) => {
        seen.push(request);
        return {
          kind: 'created',
          record: openRecord(request, NO_HISTORY, '00000000-0000-4000-8000-000000000001', source, at).record,
        };
      },
    } as unknown as LedgerStore;
    const withStore = inProcessApp({ verifiers, store });
    const response = await request(withStore, 'POST', '/v1/deployments', {
      body: JSON.stringify({ ...good, sha: SHA.toUpperCase(), state: 'running' }),
      headers: { 'idempotency-key': '"42-2"', 'content-type': 'application/json; charset=utf-8' },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/v1/deployments/00000000-0000-4000-8000-000000000001');
    expect(await response.json()).toMatchObject({ key: '42-2', sha: SHA, state: 'in_progress', run_id: 42 });
    expect(seen).toEqual([expect.objectContaining({ key: '42-2', state: 'in_progress', runAttempt: 2 })]);
  });

  it('asks for a token before it reads anything (401), and a body over the limit is 413', async () => {
    const anonymous = await app.request('/v1/deployments', { method: 'POST', body: 'not json' });
    expect((await problem(anonymous, 401)).detail).toMatch(/Bearer/);
    const big = JSON.stringify({ ...good, description: 'x'.repeat(70_000) });
    expect((await problem(await create(big), 413)).detail).toMatch(/larger than 65536 bytes/);
  });
});

describe('status and query routes in process', () => {
  const app = inProcessApp({ verifiers });

  it('a deeply nested body with a NUL byte → 400 naming the nesting, not a 500 "safe to retry"', async () => {
    const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    const text = `{"repository":"acme/shop","environment":"prod","sha":"${SHA}","description":"a\\u0000","x":${deep}}`;
    const response = await request(app, 'POST', '/v1/deployments', {
      body: text,
      headers: { 'idempotency-key': '1-1' },
    });
    const body = await problem(response, 400);
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { field: 'description', message: expect.stringContaining('NUL byte') },
        { field: 'x.0.0.…', message: 'is nested more than 100 levels deep' },
      ]),
    );
  });

  it('finds the record before it reads the body: 404 and 403 come before 400', async () => {
    const body = '{"state": "finished"}';
    const unknown = await problem(await request(app, 'POST', '/v1/deployments/nope/status', { body }), 404);
    expect(unknown.detail).toBe('No deployment has the id nope.');
    const other = await request(app, 'POST', '/v1/deployments/by-key/acme/other/prod/1-1/status', { body });
    expect((await problem(other, 403)).detail).toMatch(/not allowed to act on acme\/other/);
  });

  it('validates a query, reading a repeated parameter by its first value', async () => {
    const limit = await problem(await request(app, 'GET', '/v1/deployments?limit=500'), 400);
    expect(limit.errors?.map((error) => error.field)).toEqual(['limit']);
    const repeated = await request(app, 'GET', '/v1/deployments?repository=acme/other&repository=acme/shop');
    expect((await problem(repeated, 403)).detail).toMatch(/acme\/other/);
    const dora = await problem(await request(app, 'GET', '/v1/dora?since=yesterday&state=x'), 400);
    expect(dora.errors?.map((error) => error.field)).toEqual(['since']);
  });

  it('names a path segment that cannot be stored before any route runs', async () => {
    const response = await request(app, 'POST', '/v1/deployments/by-key/acme/shop/prod%00/1-1/status', {
      body: '{}',
    });
    expect((await problem(response, 400)).errors).toEqual([
      { field: 'environment', message: expect.stringContaining('NUL byte') },
    ]);
  });
});
