import { serializeSigned } from 'hono/utils/cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const KEY = 'test-key-dashboard-live-0123456789';
const SECRET = 'a-test-session-secret-for-the-live-stream';

// A dashboard session lasts 12 h, and a revoked key's session until then (docs/dashboard.md): an
// open page's live stream must end with it, not tell changes for as long as the tab stays open.
describe('the dashboard’s live updates and the session', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer({
      DATABASE_URL: db.url,
      DEPLOYLEDGER_API_KEYS: `acme/live=${KEY}`,
      DEPLOYLEDGER_SESSION_SECRET: SECRET,
      DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  /** The session cookie the server would have set at sign-in, ending `ms` from now. */
  async function sessionEndingIn(ms: number): Promise<string> {
    const value = Buffer.from(JSON.stringify({ r: ['acme/live'], e: Date.now() + ms })).toString('base64url');
    return (await serializeSigned('deployledger_session', value, SECRET)).split(';')[0] as string;
  }

  it('tells the changes it may see until the session ends, then ends the stream', async () => {
    const stream = await fetch(`${server.url}/dashboard/live`, {
      headers: { cookie: await sessionEndingIn(3_000) },
      signal: AbortSignal.timeout(15_000),
    });
    expect(stream.status).toBe(200);
    const created = await apiClient(server.url, KEY).create('1-1', {
      repository: 'acme/live',
      environment: 'production',
      sha: SHA,
      metrics_endpoint: 'https://reader:s3cret@metrics.example/metrics',
    });
    expect(created.status).toBe(201);

    let text = '';
    let ended = false;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream.body as AsyncIterable<Uint8Array>) text += decoder.decode(chunk);
      ended = true;
    } catch {
      // still open after 15 s: the session's end did not end it
    }
    expect(text).toContain('event: change');
    expect(text).toContain(created.body.id);
    expect(ended).toBe(true);
    // What a page needs to refresh, and nothing of the record: not its endpoint's credentials.
    const changes = [...text.matchAll(/^event: change\ndata: (.*)$/gm)].map((match) =>
      JSON.parse(match[1] as string),
    );
    expect(changes[0]).toEqual({ id: created.body.id, repository: 'acme/live', environment: 'production' });
    expect(text).not.toContain('s3cret');
  });
});
