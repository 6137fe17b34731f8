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

/** The backlog's deliveries not folded yet (the stream's own, workflow runs, are not counted). */
const pending = async (url: string) =>
  Number(
    (
      await query<{ n: string }>(
        url,
        "SELECT count(*) AS n FROM webhook_delivery WHERE done_at IS NULL AND event = 'deployment'",
      )
    )[0]?.n,
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

  /** BACKLOG deployments stored 30 s ago and not folded yet (a server that was down, or behind). */
  async function storeBacklog(first: number) {
    const stored = Array.from({ length: BACKLOG }, (_, i) => githubDeployment(first + i));
    await query(
      db.url,
      `INSERT INTO webhook_delivery (delivery_id, event, action, payload, received_at)
       SELECT id, 'deployment', 'created', body, now() - interval '30 seconds'
       FROM unnest($1::text[], $2::text[]) AS d(id, body)`,
      [stored.map((d) => d.id), stored.map((d) => d.body)],
    );
  }

  /** How long until the backlog is folded (ms), or null when it is not within `limitMs`. */
  async function foldTime(limitMs: number): Promise<number | null> {
    const started = Date.now();
    while (Date.now() - started < limitMs) {
      if ((await pending(db.url)) === 0) return Date.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return null;
  }

  it('folds a backlog that waited long while deliveries keep arriving about as fast as with none', async () => {
    // The baseline, in the same run: the same backlog while nothing else arrives (one delivery
    // wakes the worker, as a stored backlog is found at the next poll).
    await storeBacklog(0);
    expect((await send(server.url, SECRET, workflowRun())).status).toBe(202);
    const quiet = await foldTime(60_000);
    expect(quiet, 'the backlog alone was not folded within 60 s').not.toBeNull();

    await storeBacklog(BACKLOG);
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
    let streamed: number | null;
    try {
      streamed = await foldTime(Math.max(20_000, 10 * (quiet as number)));
    } finally {
      streaming = false;
      await stream;
    }
    // In full claims the stream costs the fold little (measured: about as long as the quiet
    // fold); waiting for quiet before each claim of 100, it took 12 times as long.
    expect(streamed, `quiet ${quiet} ms, beside the stream ${streamed} ms`).not.toBeNull();
    expect(streamed as number, `quiet ${quiet} ms`).toBeLessThanOrEqual(2.5 * (quiet as number) + 1000);
    expect(statuses.length).toBeGreaterThan(10);
    expect(new Set(statuses)).toEqual(new Set([202]));
  });
});
