import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { eventually } from '../helpers/deliveries.ts';
import { query } from '../helpers/postgres.ts';
import { startServerWithGithub } from '../helpers/server-with-github.ts';

const TOKEN = 'test-key-limited-0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the sweeper under GitHub's rate limit (token, PostgreSQL)", () => {
  let setup: Awaited<ReturnType<typeof startServerWithGithub>>;
  beforeAll(async () => {
    setup = await startServerWithGithub({
      DEPLOYLEDGER_API_KEYS: `acme/limited=${TOKEN}`,
      DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0.2',
      DEPLOYLEDGER_STUCK_AFTER_SECONDS_BY_ENVIRONMENT: 'stuck-0=3,stuck-1=3,stuck-2=3',
    });
  });
  afterAll(async () => {
    await setup?.stop();
  });

  it('asks nothing more once GitHub says its rate limit is used up, and keeps the records for a later sweep', async () => {
    const api = apiClient(setup.server.url, TOKEN);
    const ids: string[] = [];
    for (const n of [0, 1, 2]) {
      const created = await api.create(`stuck-${n}`, {
        repository: 'acme/limited',
        environment: `stuck-${n}`,
        sha: SHA,
        state: 'in_progress',
      });
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }
    // The records are on GitHub (the sync's calls are done) before their deadline passes.
    await eventually(async () => {
      const [row] = await query<{ n: number }>(
        setup.db.url,
        'SELECT count(*)::int AS n FROM outbox_job WHERE done_at IS NULL',
      );
      return row?.n === 0 ? true : undefined;
    });
    const callsBefore = setup.github.calls.length;
    setup.github.limitNext(1, {
      status: 403,
      message: 'API rate limit exceeded for installation ID 77.',
      headers: {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      },
    });

    const questions = () =>
      setup.github.calls
        .slice(callsBefore)
        .filter((call) => call.method === 'GET' && /\/statuses$|\/actions\/runs\//.test(call.path));
    await eventually(async () => (questions().length > 0 ? true : undefined));
    await sleep(2_000); // ten sweeps

    // One question, answered with the limit; none after it, about this record or the others.
    expect(questions()).toHaveLength(1);
    expect(questions()[0]?.status).toBe(403);
    for (const id of ids) expect((await api.get(id)).body.state).toBe('in_progress');
    expect(setup.server.logs.join('\n')).toMatch(/GitHub could not be asked about a stuck deployment/);
  });
});
