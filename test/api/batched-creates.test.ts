import { describe, expect, it } from 'vitest';
import { SHA } from '../helpers/api.ts';
import { apiServerForFile } from '../helpers/api-server.ts';
import { query } from '../helpers/postgres.ts';

// A burst of creates shares statements (server/db/open-batcher.ts): each create must still be
// answered as if it had been alone, across environments and within one.
describe('a burst of creates over many environments', () => {
  const ctx = apiServerForFile();

  it('two keys racing in each of 60 environments → one 201 and one 409 each, every create with its event', async () => {
    const environments = Array.from({ length: 60 }, (_, i) => `burst-${i}`);
    const answers = await Promise.all(
      environments.flatMap((environment, i) =>
        [1, 2].map((racer) =>
          ctx.api
            .create(`${7000 + 100 * racer + i}-1`, {
              repository: 'acme/shop',
              environment,
              sha: SHA,
              state: 'in_progress',
            })
            .then((answer) => ({ environment, answer })),
        ),
      ),
    );
    for (const environment of environments) {
      const mine = answers.filter((a) => a.environment === environment).map((a) => a.answer);
      expect(mine.map((a) => a.status).sort()).toEqual([201, 409]);
      const winner = mine.find((a) => a.status === 201)?.body.id;
      expect(mine.find((a) => a.status === 409)?.body.active_deployment.id).toBe(winner);
    }
    const rows = await query<{ environment: string; events: string }>(
      ctx.db.url,
      `SELECT d.environment, count(e.id) AS events FROM deployment d
       LEFT JOIN deployment_event e ON e.deployment_id = d.id
       WHERE d.environment LIKE 'burst-%' GROUP BY d.id, d.environment`,
    );
    expect(rows).toHaveLength(60);
    expect(new Set(rows.map((row) => row.environment)).size).toBe(60);
    expect(rows.every((row) => Number(row.events) === 1)).toBe(true);
  });

  it('a burst of creates with every field set → each stored and answered as sent', async () => {
    const bodyOf = (i: number) => ({
      repository: 'acme/shop',
      environment: `Fields-${i}`,
      sha: SHA,
      ref: `refs/heads/ünïcode-"quoted"-\\back-{brace},${i}`,
      run_id: 9_007_199_254_740 + i,
      run_attempt: 2,
      state: 'queued',
      environment_url: `https://shop.example/${i}?q="x"`,
      log_url: `https://ci.example/runs/${i}`,
      description: `line one\nline two, tab\t, quote " and {${i}}`,
      metrics_endpoint: `https://metrics.example/${i}`,
      k8s: { namespace: 'shop', name: [`web-${i}`, `worker-${i}`] },
      k8s_clusters: ['eu-1', 'us-1'],
      commit_at: '2026-11-30T12:34:56.789Z',
    });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => ctx.api.create(`fields-${i}`, bodyOf(i))),
    );
    for (const [i, answer] of answers.entries()) {
      expect(answer.status).toBe(201);
      const body = bodyOf(i);
      expect(answer.body).toMatchObject({
        environment: body.environment,
        ref: body.ref,
        run_id: body.run_id,
        run_attempt: 2,
        state: 'queued',
        environment_url: body.environment_url,
        log_url: body.log_url,
        description: body.description,
        commit_at: body.commit_at,
        k8s: { namespace: 'shop', name: `web-${i}` },
      });
      expect(answer.body.k8s_rollouts.workloads).toEqual([
        { namespace: 'shop', name: `web-${i}` },
        { namespace: 'shop', name: `worker-${i}` },
      ]);
      expect(answer.body.k8s_rollouts.clusters).toEqual(['eu-1', 'us-1']);
      const stored = await ctx.api.get(answer.body.id);
      const { events, metrics, ...record } = stored.body;
      expect(record).toEqual(answer.body);
      expect(metrics.endpoint).toBe(body.metrics_endpoint);
      // The create's own event (the metrics sampler may add its note beside it).
      expect(events.filter((event: { source: string }) => event.source === 'action')).toMatchObject([
        { state: 'queued', applied: true },
      ]);
    }
  });

  it('a burst of replays and new keys at once → each replay answers its stored record', async () => {
    const created = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        ctx.api.create(`${8000 + i}-1`, { repository: 'acme/shop', environment: `replay-${i}`, sha: SHA }),
      ),
    );
    expect(created.every((a) => a.status === 201)).toBe(true);
    const again = await Promise.all(
      Array.from({ length: 30 }, (_, i) => [
        ctx.api.create(`${8000 + i}-1`, { repository: 'acme/shop', environment: `replay-${i}`, sha: SHA }),
        ctx.api.create(`${9000 + i}-1`, { repository: 'acme/shop', environment: `fresh-${i}`, sha: SHA }),
      ]).flat(),
    );
    for (let i = 0; i < 30; i++) {
      const replay = again[2 * i];
      expect(replay?.status).toBe(200);
      expect(replay?.body.id).toBe(created[i]?.body.id);
      expect(again[2 * i + 1]?.status).toBe(201);
    }
  });
});
