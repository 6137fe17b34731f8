import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const KEY = 'test-key-dashboard-forms-0123456789';
const PUBLIC_URL = 'https://deploy.example.com';

describe('dashboard forms: same-origin only, bounded, no header injection', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;
  let host: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer({
      DATABASE_URL: db.url,
      DEPLOYLEDGER_API_KEYS: `acme/forms=${KEY}`,
      DEPLOYLEDGER_SESSION_SECRET: 'a-test-session-secret-of-at-least-32-chars',
      DEPLOYLEDGER_PUBLIC_URL: PUBLIC_URL,
      DEPLOYLEDGER_BODY_LIMIT: '4096',
      DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0',
    });
    host = new URL(server.url).host;
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
  const signIn = (headers: Record<string, string> = {}, form: Record<string, string> = {}) =>
    post('/dashboard/sign-in', { key: KEY, next: '/dashboard', ...form }, headers);
  const rows = async () =>
    (
      await query<{ n: string }>(
        db.url,
        'SELECT (SELECT count(*) FROM deployment) + (SELECT count(*) FROM api_key) + (SELECT count(*) FROM webhook_delivery) AS n',
      )
    )[0]?.n;

  it('signs in from its own pages (Origin = Host, the public URL, a forwarded host) and from non-browser clients', async () => {
    const allowed: Array<Record<string, string>> = [
      { origin: server.url, 'sec-fetch-site': 'same-origin' },
      { origin: server.url },
      { origin: PUBLIC_URL },
      { origin: 'https://proxy.example.net', 'x-forwarded-host': 'proxy.example.net' },
      {},
    ];
    for (const headers of allowed) {
      const answer = await signIn(headers);
      expect(answer.status, JSON.stringify(headers)).toBe(303);
      expect(answer.headers.get('set-cookie')).toContain('deployledger_session=');
    }
  });

  it('a cross-site sign-in or sign-out → 403 and no cookie set or cleared', async () => {
    const before = await rows();
    const crossSite: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site', origin: `http://evil.${host}` },
      { origin: 'null' },
      { origin: `http://${host}.evil.example` },
    ];
    for (const headers of crossSite) {
      for (const path of ['/dashboard/sign-in', '/dashboard/sign-out']) {
        const answer = await post(path, { key: KEY, next: '/dashboard' }, headers);
        expect(answer.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(answer.headers.get('set-cookie')).toBeNull();
        expect(await answer.text()).toMatch(/^Forbidden: the request came from/);
      }
    }
    expect(await rows()).toBe(before);
  });

  it('a form over the body limit → 413 before it is read, signed in or not', async () => {
    // Each on a connection of its own: the server answers before reading the body and closes the
    // connection, which must not be reused by the next test's requests.
    const big = await postOnOwnConnection(
      new URLSearchParams({ key: KEY, next: `/dashboard?${'x'.repeat(10_000)}` }).toString(),
    );
    expect(big.status).toBe(413);
    expect(big.setCookie).toBeUndefined();
    // Without Content-Length (chunked), the limit holds while streaming.
    const streamed = await postOnOwnConnection(
      Array.from({ length: 64 }, () => 'x'.repeat(1024)),
      true,
    );
    expect(streamed.status).toBe(413);
    expect(streamed.setCookie).toBeUndefined();
  });

  /** POSTs a form to the sign-in page over a fresh connection (chunked when given chunks). */
  function postOnOwnConnection(body: string | string[], chunked = false) {
    return new Promise<{ status: number; setCookie: string[] | undefined }>((resolve, reject) => {
      const { hostname, port } = new URL(server.url);
      const request = httpRequest(
        {
          hostname,
          port,
          path: '/dashboard/sign-in',
          method: 'POST',
          agent: false,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(chunked ? {} : { 'content-length': Buffer.byteLength(body as string) }),
          },
        },
        (response) => {
          response.resume();
          resolve({ status: response.statusCode ?? 0, setCookie: response.headers['set-cookie'] });
        },
      );
      // The server may close before the whole body is sent; the answer is what matters.
      request.on('error', (error) => (request.writableEnded ? undefined : reject(error)));
      for (const chunk of Array.isArray(body) ? body : [body]) request.write(chunk);
      request.end();
    });
  }

  it('a sign-in body that is no form (malformed multipart) → 400 with the sign-in page, not a 500', async () => {
    const before = await rows();
    const answer = await fetch(`${server.url}/dashboard/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: `key=${KEY}`,
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('set-cookie')).toBeNull();
    expect(await answer.text()).toContain('The sign-in form could not be read');
    expect(await rows()).toBe(before);
  });

  it('CR/LF in the sign-in `next` is dropped for the start page, not a 500', async () => {
    for (const next of ['/dashboard/\r\nSet-Cookie: evil=1', '/dashboard?\u0007', '/dashboard/é']) {
      const answer = await signIn({}, { next });
      expect(answer.status, JSON.stringify(next)).toBe(303);
      expect(answer.headers.get('location')).toBe('/dashboard');
      expect(answer.headers.get('set-cookie')).not.toContain('evil');
    }
    const page = await fetch(`${server.url}/dashboard/sign-in?next=%2Fdashboard%0D%0ASet-Cookie:%20evil=1`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="next" value="/dashboard"');
  });

  it('a NUL byte in a dashboard path or query, or a crafted cursor → 400', async () => {
    const cookie = (await signIn()).headers.get('set-cookie')?.split(';')[0] ?? '';
    const crafted = Buffer.from('2026-01-01T00:00:00.000Z|------------------------------------').toString(
      'base64url',
    );
    for (const path of [
      '/dashboard/environments/acme/forms/prod%00',
      '/dashboard?repository=acme/forms%00',
      `/dashboard/environments/acme/forms/prod?cursor=${crafted}`,
    ]) {
      const answer = await fetch(`${server.url}${path}`, { headers: { cookie } });
      expect(answer.status, path).toBe(400);
    }
    // The DORA page shows its first page for a cursor it did not issue, a NUL byte inside too.
    const doraCursor = Buffer.from(JSON.stringify(['acme/forms\u0000', 'prod'])).toString('base64url');
    const dora = await fetch(`${server.url}/dashboard/dora?cursor=${doraCursor}`, { headers: { cookie } });
    expect(dora.status).toBe(200);
  });

  it('in a real browser: a form on another site posting a valid key gets 403 and leaves no session', async () => {
    // The attacker's page, on another site (localhost vs 127.0.0.1), auto-submits the sign-in form.
    const evil: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<form id="f" method="post" action="${server.url}/dashboard/sign-in">
        <input name="key" value="${KEY}"><input name="next" value="/dashboard"></form>
        <script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const answered = page.waitForResponse((r) => r.url().endsWith('/dashboard/sign-in'));
      await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
      const response = await answered;
      expect(response.status()).toBe(403);
      expect(await context.cookies(`${server.url}/dashboard`)).toEqual([]);
      // The same browser signs in from the dashboard's own page.
      await page.goto(`${server.url}/dashboard/sign-in`);
      await page.fill('input[name="key"]', KEY);
      await Promise.all([
        page.waitForURL(`${server.url}/dashboard`),
        page.click('form button[type="submit"]'),
      ]);
      expect((await context.cookies(`${server.url}/dashboard`)).map((c) => c.name)).toEqual([
        'deployledger_session',
      ]);
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => evil.close(() => resolve()));
    }
  });
});
