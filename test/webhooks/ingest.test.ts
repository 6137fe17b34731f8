import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delivery, eventually, sample, send, setRepository } from '../helpers/deliveries.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const SECRET = 'ingest-secret';

/** A `deployment_status` success of GitHub deployment `id` on `environment` of `repository`. */
function status(repository: string, environment: string, id: number, indent?: number) {
  const payload = sample('deployment_status', (p) => p.deployment_status.state === 'success');
  setRepository(payload, repository);
  Object.assign(payload.deployment, { id, environment, sha: id.toString(16).padStart(40, '0'), payload: {} });
  payload.deployment_status.id = id * 10;
  const d = delivery('deployment_status', payload);
  return indent ? { ...d, body: JSON.stringify(payload, null, indent) } : d;
}

const pendingOrFailed = async (url: string) =>
  query<{ delivery_id: string }>(
    url,
    'SELECT delivery_id FROM webhook_delivery WHERE done_at IS NULL OR last_error IS NOT NULL',
  );

describe('receiving deliveries: stored before acknowledged, as sent', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer({ DATABASE_URL: db.url, GITHUB_WEBHOOK_SECRET: SECRET });
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  it('stores the body byte for byte as GitHub signed it (non-ASCII text, its own layout) and applies it', async () => {
    const d = status('acme/ingest-bytes', 'prod – ünïcode ✓ 🚀', 71_001, 2);
    expect((await send(server.url, SECRET, d)).status).toBe(202);
    const [row] = await query<{ payload: string; bytes: number }>(
      db.url,
      'SELECT payload, octet_length(payload) AS bytes FROM webhook_delivery WHERE delivery_id = $1',
      [d.id],
    );
    expect(row?.payload).toBe(d.body);
    expect(row?.bytes).toBe(Buffer.byteLength(d.body));
    const record = await eventually(async () => {
      const [r] = await query<{ environment: string; state: string }>(
        db.url,
        'SELECT environment, state FROM deployment WHERE github_deployment_id = 71001',
      );
      return r;
    });
    expect(record).toEqual({ environment: 'prod – ünïcode ✓ 🚀', state: 'success' });
  });

  it('answers each delivery of a concurrent burst only once its row is committed', async () => {
    const burst = Array.from({ length: 96 }, (_, i) =>
      status(`acme/ingest-${i % 4}`, `env-${i % 8}`, 72_000 + i),
    );
    // As each answer arrives, the row must already be visible to another connection.
    const reader = new pg.Pool({ connectionString: db.url, max: 8 });
    const seen = await Promise.all(
      burst.map(async (d) => {
        const answer = await send(server.url, SECRET, d);
        const { rows } = await reader.query('SELECT 1 FROM webhook_delivery WHERE delivery_id = $1', [d.id]);
        return { status: answer.status, stored: rows.length };
      }),
    ).finally(() => reader.end());
    expect(seen.filter((s) => s.status === 202 && s.stored === 1)).toHaveLength(burst.length);
    await eventually(async () => ((await pendingOrFailed(db.url)).length === 0 ? true : undefined), 60_000);
  });

  it('loses no delivery that arrives while a backlog is being folded', async () => {
    // A backlog stored as the receiver stores it (three claims' worth), then a burst sent while
    // the worker folds it: every delivery of both ends applied, none left pending or failed.
    const backlog = Array.from({ length: 1200 }, (_, i) =>
      status(`acme/backlog-${i % 10}`, `b-${i % 6}`, 80_000 + i),
    );
    for (let i = 0; i < backlog.length; i += 200) {
      const chunk = backlog.slice(i, i + 200);
      await query(
        db.url,
        `INSERT INTO webhook_delivery (delivery_id, event, action, payload, received_at)
         SELECT d, 'deployment_status', 'created', p, clock_timestamp()
         FROM unnest($1::text[], $2::text[]) AS t(d, p)`,
        [chunk.map((d) => d.id), chunk.map((d) => d.body)],
      );
    }
    const live = Array.from({ length: 64 }, (_, i) => status(`acme/live-${i % 4}`, `l-${i % 8}`, 90_000 + i));
    const answers = await Promise.all(live.map((d) => send(server.url, SECRET, d)));
    expect(answers.map((a) => a.status)).toEqual(live.map(() => 202));
    await eventually(async () => ((await pendingOrFailed(db.url)).length === 0 ? true : undefined), 120_000);
    const [applied] = await query<{ n: string }>(
      db.url,
      `SELECT count(*) AS n FROM deployment
       WHERE github_deployment_id BETWEEN 80000 AND 80000 + 1199 OR github_deployment_id BETWEEN 90000 AND 90063`,
    );
    expect(Number(applied?.n)).toBe(backlog.length + live.length);
  });
});
