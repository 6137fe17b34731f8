import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delivery, sample, send, setRepository } from '../helpers/deliveries.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const SECRET = 'steady-secret';
const BACKLOG = 1_200;

/** A GitHub deployment (one of BACKLOG, 40 environments): folded in batches, as a burst's are. */
function githubDeployment(i: number) {
  const payload = sample('deployment');
  setRepository(payload, 'acme/steady');
  Object.assign(payload.deployment, {
    id: 500_000 + i,
    environment: `env-${i % 40}`,
    sha: (500_000 + i).toString(16).padStart(40, '0'),
    created_at: new Date(Date.UTC(2026, 2, 1, 10, 0, i % 60)).toISOString(),
    payload: {},
  });
  return delivery('deployment', payload);
}

function workflowRun() {
  const run = sample('workflow_run', (p) => p.workflow_run.conclusion === 'success');
  setRepository(run, 'acme/steady');
  return delivery('workflow_run', run);
}

const pending = async (url: string) =>
  Number(
    (await query<{ n: string }>(url, 'SELECT count(*) AS n FROM webhook_delivery WHERE done_at IS NULL'))[0]
      ?.n,
  );

// A large organization's hook never goes quiet: the fold waits for quiet only so long, then
// catches up in full claims (server/jobs/delivery-worker.ts, MAX_LAG_MS), instead of folding a
// claim of 100 a second for as long as the stream lasts.
describe('a steady stream of deliveries (real server, PostgreSQL)', () => {
  let server: RunningServer;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer({ DATABASE_URL: db.url, GITHUB_WEBHOOK_SECRET: SECRET });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('folds a backlog that waited long while deliveries keep arriving', async () => {
    // Stored 30 s ago and not folded yet (a server that was down, or behind).
    const stored = Array.from({ length: BACKLOG }, (_, i) => githubDeployment(i));
    await query(
      db.url,
      `INSERT INTO webhook_delivery (delivery_id, event, action, payload, received_at)
       SELECT id, 'deployment', 'created', body, now() - interval '30 seconds'
       FROM unnest($1::text[], $2::text[]) AS d(id, body)`,
      [stored.map((d) => d.id), stored.map((d) => d.body)],
    );

    let streaming = true;
    const statuses: number[] = [];
    // Three senders, each a delivery every 30 ms or so: the receiver is never quiet for 100 ms.
    const stream = Promise.all(
      Array.from({ length: 3 }, async () => {
        while (streaming) {
          statuses.push((await send(server.url, SECRET, workflowRun())).status);
          await new Promise((resolve) => setTimeout(resolve, 30));
        }
      }),
    );
    try {
      const started = Date.now();
      let left = await pending(db.url);
      while (left > 50 && Date.now() - started < 6_000) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        left = await pending(db.url);
      }
      // At a claim of 100 a second the backlog alone would take 12 s; in full claims, about 2 s.
      expect(left, 'deliveries not folded 6 s into the stream').toBeLessThanOrEqual(50);
    } finally {
      streaming = false;
      await stream;
    }
    expect(statuses.length).toBeGreaterThan(10);
    expect(new Set(statuses)).toEqual(new Set([202]));
  });
});
