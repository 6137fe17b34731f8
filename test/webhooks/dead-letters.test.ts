import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../helpers/k8s-watch.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

// A delivery given up after its last attempt is retried by nothing: /metrics counts it, so an
// alert finds it rather than an operator happening on the SQL in docs/operations.md.
describe('dead letters and waiting rows on /metrics (real server, PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;
  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer({ DATABASE_URL: db.url });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('counts the deliveries given up after their last attempt, and none while there are none', async () => {
    const dead = () =>
      metricValue(server, 'deployledger_queue_rows', { queue: 'webhook_delivery', status: 'dead' });
    expect(await dead()).toBe(0);
    await query(
      db.url,
      `INSERT INTO webhook_delivery (delivery_id, event, action, payload, attempts, last_error)
       VALUES ('dead-1', 'deployment', 'created', '{}', 10, 'the fold failed ten times'),
              ('dead-2', 'deployment_status', 'created', '{}', 12, 'the fold failed twelve times')`,
    );
    expect(await dead()).toBe(2);
    await query(db.url, "UPDATE webhook_delivery SET done_at = now() WHERE delivery_id = 'dead-1'");
    expect(await dead()).toBe(1);
  });
});
