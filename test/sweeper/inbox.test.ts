import { afterEach, describe, expect, it } from 'vitest';
import { API_KEYS, apiClient, SHA, TOKEN } from '../helpers/api.ts';
import { type Delivery, eventually, githubDeployment, send } from '../helpers/deliveries.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { startServer } from '../helpers/server.ts';

const SECRET = 'inbox-secret';
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const HOUR = 3_600_000;

/** Stores deliveries as the receiver would have, the last one received just now, in this order. */
async function storeBacklog(url: string, deliveries: Delivery[]) {
  await query(
    url,
    `INSERT INTO webhook_delivery (delivery_id, event, payload, received_at)
     SELECT d.id, d.event, d.body, now() - make_interval(secs => (cardinality($1::text[]) - d.i) / 1000.0)
     FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS d(id, event, body, i)`,
    [deliveries.map((d) => d.id), deliveries.map((d) => d.event), deliveries.map((d) => d.body)],
  );
}

describe('the sweeper and the delivery inbox (real server, PostgreSQL)', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it("ends a stuck record as GitHub said when its success waits in a backlog at start, not 'timed_out'", async () => {
    const db = await createTestDatabase();
    cleanup.push(db.drop);
    // Recorded in_progress two hours ago (the deadline is 30 minutes), by a server without sweeps.
    const deployment = githubDeployment('acme/inbox', 'production', 7001, ago(2 * HOUR));
    const first = await startServer({
      DATABASE_URL: db.url,
      GITHUB_WEBHOOK_SECRET: SECRET,
      DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0',
    });
    for (const d of [deployment.created(), deployment.status('in_progress', ago(2 * HOUR - 10_000), 1)]) {
      expect((await send(first.url, SECRET, d)).status).toBe(202);
    }
    const stateOf = async () =>
      (
        await query<{ state: string }>(
          db.url,
          `SELECT state FROM deployment WHERE github_deployment_id = 7001`,
        )
      )[0]?.state;
    await eventually(async () => ((await stateOf()) === 'in_progress' ? true : undefined));
    await first.stop();

    // While it was down, GitHub sent 1 500 other deliveries and then this one's success.
    const others = Array.from({ length: 1500 }, (_, i) =>
      githubDeployment(`acme/other-${i % 50}`, `env-${i}`, 10_000 + i, ago(0)).created(),
    );
    await storeBacklog(db.url, [...others, deployment.status('success', ago(HOUR), 2)]);

    // The first sweep runs as the server starts, beside the fold of the backlog.
    const second = await startServer({ DATABASE_URL: db.url, GITHUB_WEBHOOK_SECRET: SECRET });
    cleanup.push(() => second.stop());
    await eventually(async () => {
      const [row] = await query<{ n: number }>(
        db.url,
        'SELECT count(*)::int AS n FROM webhook_delivery WHERE done_at IS NULL',
      );
      return row?.n === 0 ? true : undefined;
    }, 60_000);

    expect(await stateOf()).toBe('success');
    const swept = await query(
      db.url,
      `SELECT e.state, e.reason FROM deployment_event e JOIN deployment d ON d.id = e.deployment_id
        WHERE d.github_deployment_id = 7001 AND e.source = 'sweeper'`,
    );
    expect(swept).toEqual([]);
    expect(second.logs.join('\n')).not.toContain('stuck deployment timed out');
  });

  it('is not held by a dead letter, a delivery that failed twice, nor one stored over 15 minutes ago', async () => {
    const db = await createTestDatabase();
    cleanup.push(db.drop);
    const server = await startServer({
      DATABASE_URL: db.url,
      DEPLOYLEDGER_API_KEYS: API_KEYS,
      DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0.2',
      DEPLOYLEDGER_STUCK_AFTER_SECONDS_BY_ENVIRONMENT: 'short=1',
    });
    cleanup.push(() => server.stop());
    await query(
      db.url,
      `INSERT INTO webhook_delivery (delivery_id, event, payload, received_at, run_at, attempts, last_error)
       VALUES ('dead', 'deployment', '{}', now(), now(), 10, 'failed ten times'),
              ('failing', 'deployment', '{}', now(), now() + interval '1 hour', 3, 'failed three times'),
              ('stale', 'deployment', '{}', now() - interval '20 minutes', now() + interval '1 hour', 1, 'failed')`,
    );
    const api = apiClient(server.url, TOKEN);
    const created = await api.create('1-1', {
      repository: 'acme/shop',
      environment: 'short',
      sha: SHA,
      state: 'in_progress',
    });
    expect(created.status).toBe(201);

    const ended = await eventually(async () => {
      const { body } = await api.get(created.body.id);
      return body.state === 'error' ? body : undefined;
    }, 8_000);
    expect(ended.events.at(-1)).toMatchObject({ source: 'sweeper', reason: 'timed_out' });
    expect(server.logs.join('\n')).not.toContain('sweep postponed');
  });
});
