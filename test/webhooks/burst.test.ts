import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Delivery,
  delivery,
  githubDeployment as deployedOnGithub,
  eventually,
  sample,
  send,
  setRepository,
} from '../helpers/deliveries.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const SECRET = 'burst-secret';
// The burst is dated months ago, so its active records are past their deadline: a sweep would end
// them at whatever moment it ran, in one server and not the other. This test is about the fold.
const NO_SWEEPS = { DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0' };
const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

/** One GitHub deployment of `repository` to `environment`, created at T0 + `created` s. */
function githubDeployment(repository: string, environment: string, id: number, created: number) {
  const deployment = deployedOnGithub(repository, environment, id, at(created));
  return {
    created: deployment.created,
    status: (state: string, seconds: number) => deployment.status(state, at(seconds), id * 10 + seconds),
  };
}

/**
 * A burst as GitHub sends it when several repositories deploy at once: superseding, late and
 * duplicate statuses, a status before its deployment, a success that retires an older one, and a
 * workflow_run among them.
 */
function burst(): Delivery[] {
  const a1 = githubDeployment('acme/burst-a', 'prod', 1001, 0);
  const a2 = githubDeployment('acme/burst-a', 'prod', 1002, 10);
  const a3 = githubDeployment('acme/burst-a', 'prod', 1003, 15);
  const a4 = githubDeployment('acme/burst-a', 'prod', 1004, 20);
  const s1 = githubDeployment('acme/burst-a', 'staging', 1005, 1);
  const b1 = githubDeployment('acme/burst-b', 'Prod', 2001, 0);
  const b2 = githubDeployment('acme/burst-b', 'Prod', 2002, 30);
  const b3 = githubDeployment('acme/burst-b', 'Prod', 2003, 40);
  const run = sample('workflow_run', (p) => p.workflow_run.conclusion === 'success');
  setRepository(run, 'acme/burst-b');
  return [
    a1.created(),
    s1.created(),
    a1.status('in_progress', 2),
    b1.created(),
    a1.status('success', 5),
    b1.status('in_progress', 3),
    s1.status('failure', 8),
    a2.created(),
    a2.status('in_progress', 11),
    a2.status('in_progress', 11),
    delivery('workflow_run', run),
    b2.created(),
    a2.status('success', 14),
    b3.status('success', 45),
    a4.created(),
    a4.status('in_progress', 21),
    a3.created(),
    a3.status('success', 18),
    b3.created(),
    b1.status('success', 50),
    a2.status('failure', 60),
  ];
}

/** What a user sees: every record and its timeline, without ids and our own clock. */
async function ledger(url: string) {
  const records = await query(
    url,
    `SELECT repository, environment, key, state, sha, github_deployment_id::text, environment_url,
            created_at, started_at, deployed_at, completed_at,
            (SELECT json_agg(json_build_array(e.source, e.state, e.applied, e.reason, e.occurred_at,
                                              e.detail->>'delivery_id') ORDER BY e.id)
             FROM deployment_event e WHERE e.deployment_id = d.id) AS timeline
     FROM deployment d ORDER BY repository, environment, key`,
  );
  const pending = await query(url, 'SELECT delivery_id FROM webhook_delivery WHERE done_at IS NULL');
  return { records, pending };
}

describe('a burst of stored deliveries, folded in batches', () => {
  let oneByOne: Awaited<ReturnType<typeof createTestDatabase>>;
  let batched: Awaited<ReturnType<typeof createTestDatabase>>;
  const servers: RunningServer[] = [];
  const deliveries = burst();

  beforeAll(async () => {
    oneByOne = await createTestDatabase();
    batched = await createTestDatabase();
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await oneByOne.drop();
    await batched.drop();
  });

  it('ends as the same records and timelines as the deliveries folded one at a time', async () => {
    // One at a time: each delivery is sent and folded before the next is sent.
    const single = await startServer({
      DATABASE_URL: oneByOne.url,
      GITHUB_WEBHOOK_SECRET: SECRET,
      ...NO_SWEEPS,
    });
    servers.push(single);
    for (const d of deliveries) {
      expect((await send(single.url, SECRET, d)).status).toBe(202);
      await eventually(async () => {
        const [row] = await query<{ done: boolean }>(
          oneByOne.url,
          'SELECT done_at IS NOT NULL AS done FROM webhook_delivery WHERE delivery_id = $1',
          [d.id],
        );
        return row?.done ? true : undefined;
      });
    }

    // Batched: the same deliveries stored while the worker was stopped, then one start folds them.
    const first = await startServer({
      DATABASE_URL: batched.url,
      GITHUB_WEBHOOK_SECRET: SECRET,
      ...NO_SWEEPS,
    });
    await first.stop();
    for (const [i, d] of deliveries.entries()) {
      await query(
        batched.url,
        `INSERT INTO webhook_delivery (delivery_id, event, action, payload, received_at)
         VALUES ($1, $2, $3, $4::jsonb, now() + make_interval(secs => $5))`,
        [d.id, d.event, JSON.parse(d.body).action ?? null, d.body, i / 1000],
      );
    }
    const second = await startServer({
      DATABASE_URL: batched.url,
      GITHUB_WEBHOOK_SECRET: SECRET,
      ...NO_SWEEPS,
    });
    servers.push(second);
    await eventually(async () => ((await ledger(batched.url)).pending.length === 0 ? true : undefined));

    const expected = await ledger(oneByOne.url);
    expect(expected.records.length).toBe(8);
    expect(await ledger(batched.url)).toEqual(expected);
    // Folded in batches, not one by one after a refused batch.
    expect(second.logs.join('\n')).not.toMatch(/folded one by one|batch of deliveries failed/);
    expect(second.logs.filter((line) => line.includes('"delivery applied"')).length).toBeGreaterThanOrEqual(
      deliveries.length - 1,
    );
  });

  it('acknowledges a concurrent burst, each redelivery racing its first copy: one 202 per delivery, each applied once', async () => {
    const server = servers[1] as RunningServer;
    const copies = Array.from({ length: 30 }, (_, i) =>
      githubDeployment(`acme/burst-${i % 3}`, `race-${i % 5}`, 5000 + i, i).created(),
    );
    const answers = await Promise.all(
      copies.flatMap((d) => [send(server.url, SECRET, d), send(server.url, SECRET, d)]),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 202)).toHaveLength(copies.length);
    expect(statuses.filter((status) => status === 200)).toHaveLength(copies.length);
    const applied = await eventually(async () => {
      const rows = await query<{ delivery: string; n: string }>(
        batched.url,
        `SELECT detail->>'delivery_id' AS delivery, count(*) AS n FROM deployment_event
         WHERE detail->>'delivery_id' = ANY($1::text[]) GROUP BY 1`,
        [copies.map((d) => d.id)],
      );
      return rows.length === copies.length ? rows : undefined;
    });
    expect(applied.every((row) => row.n === '1')).toBe(true);
  });
});
