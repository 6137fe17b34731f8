import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { environmentLockName, environmentLockSql } from '../../server/db/environment-lock.ts';
import { type apiClient, SHA } from '../helpers/api.ts';
import { apiServerForFile } from '../helpers/api-server.ts';
import { query } from '../helpers/postgres.ts';
import { errorLines } from '../helpers/server.ts';

// A status that carries nothing new (the same state again, a late one) leaves its record as it
// was: only the timeline grows, and updated_at keeps the record's last change
// (server/db/event-appends.ts). Such a write still waits for a writer that holds the environment
// and is decided again on what that writer left.

type Client = ReturnType<typeof apiClient>;

describe('a status report that changes nothing', () => {
  const ctx = apiServerForFile();

  const running = async (environment: string) => {
    const created = await ctx.api.create(environment, {
      repository: 'acme/shop',
      environment,
      sha: SHA,
      state: 'queued',
    });
    expect(created.status).toBe(201);
    const started = await ctx.api.status(created.body.id, {
      state: 'in_progress',
      description: 'rolling out',
    });
    expect(started.body).toMatchObject({ state: 'in_progress', applied: true });
    return started.body as { id: string; updated_at: string };
  };
  const versionOf = async (id: string) =>
    (await query<{ version: number }>(ctx.db.url, 'SELECT version FROM deployment WHERE id = $1', [id]))[0]
      ?.version;

  it('the same state three times → applied false, the record and its updated_at as they were, three more events', async () => {
    const started = await running('repeat');
    const version = await versionOf(started.id);
    for (const n of [1, 2, 3]) {
      const again = await ctx.api.status(started.id, { state: 'in_progress', description: `step ${n}` });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({
        state: 'in_progress',
        applied: false,
        reason: 'duplicate',
        description: 'rolling out',
        updated_at: started.updated_at,
      });
    }
    const read = await ctx.api.get(started.id);
    expect(read.body.updated_at).toBe(started.updated_at);
    expect(await versionOf(started.id)).toBe(version);
    expect(
      read.body.events.map((event: { state: string; applied: boolean }) => [event.state, event.applied]),
    ).toEqual([
      ['queued', true],
      ['in_progress', true],
      ['in_progress', false],
      ['in_progress', false],
      ['in_progress', false],
    ]);
  });

  it('the same state with a URL not known yet → the URL kept, updated_at moves', async () => {
    const started = await running('fills');
    const again = await ctx.api.status(started.id, {
      state: 'in_progress',
      environment_url: 'https://shop.example',
    });
    expect(again.body).toMatchObject({ applied: false, environment_url: 'https://shop.example' });
    expect(Date.parse(again.body.updated_at)).toBeGreaterThan(Date.parse(started.updated_at));
    expect((await ctx.api.get(started.id)).body.environment_url).toBe('https://shop.example');
  });

  /** Holds the environment's lock in a transaction of its own while `during` runs, as another writer would. */
  async function holdingEnvironment(environment: string, during: (held: pg.Client) => Promise<void>) {
    const held = new pg.Client({ connectionString: ctx.db.url });
    await held.connect();
    try {
      await held.query('BEGIN');
      await held.query(`SELECT ${environmentLockSql('$1')}`, [environmentLockName('acme/shop', environment)]);
      await during(held);
    } finally {
      await held.end();
    }
  }
  /** Resolves once a statement waits for an advisory lock (the report has reached the database). */
  async function waitingForLock() {
    for (let i = 0; i < 200; i++) {
      const waiting = await query(
        ctx.db.url,
        `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database =
           (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      if (waiting.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('no statement waited for the environment lock');
  }

  it('a repeated report while another writer ends the record → decided on the ended record (late), one event', async () => {
    const started = await running('ended-meanwhile');
    let answer: Promise<Awaited<ReturnType<Client['status']>>> | undefined;
    await holdingEnvironment('ended-meanwhile', async (held) => {
      answer = ctx.api.status(started.id, { state: 'in_progress' });
      await waitingForLock();
      await held.query(
        `UPDATE deployment SET state = 'success', version = version + 1, deployed_at = now(), completed_at = now(),
           updated_at = now() WHERE id = $1`,
        [started.id],
      );
      await held.query('COMMIT');
    });
    const late = await (answer as NonNullable<typeof answer>);
    expect(late.status, errorLines([ctx.server])).toBe(200);
    expect(late.body).toMatchObject({ state: 'success', applied: false, reason: 'late' });
    const events = (await ctx.api.get(started.id)).body.events as Array<{
      state: string;
      reason: string | null;
    }>;
    expect(events.filter((event) => event.reason === 'duplicate')).toEqual([]);
    expect(events.at(-1)).toMatchObject({ state: 'in_progress', reason: 'late' });
  });

  it('a repeated report while repair merges the record away → 404, and no event left behind', async () => {
    const survivor = await running('merged-meanwhile');
    const duplicate = (
      await query<{ id: string }>(
        ctx.db.url,
        `INSERT INTO deployment (id, repository, environment, key, sha, state, created_at, updated_at)
         VALUES (gen_random_uuid(), 'acme/shop', 'merged-meanwhile', 'dup', $1, 'success', now(), now()) RETURNING id`,
        [SHA],
      )
    )[0]?.id as string;
    const seen = await ctx.api.status(duplicate, { state: 'success' }); // the server knows its version now
    expect(seen.body).toMatchObject({ applied: false, reason: 'duplicate' });
    let answer: Promise<Awaited<ReturnType<Client['status']>>> | undefined;
    await holdingEnvironment('merged-meanwhile', async (held) => {
      answer = ctx.api.status(duplicate, { state: 'success' });
      await waitingForLock();
      // As repair's foldIntoSurvivor: the duplicate's events move to the survivor, then it goes.
      await held.query('UPDATE deployment_event SET deployment_id = $1 WHERE deployment_id = $2', [
        survivor.id,
        duplicate,
      ]);
      await held.query('DELETE FROM deployment WHERE id = $1', [duplicate]);
      await held.query('COMMIT');
    });
    const gone = await (answer as NonNullable<typeof answer>);
    expect(gone.status, errorLines([ctx.server])).toBe(404);
    const orphans = await query(ctx.db.url, 'SELECT 1 FROM deployment_event WHERE deployment_id = $1', [
      duplicate,
    ]);
    expect(orphans).toEqual([]);
    const moved = (await ctx.api.get(survivor.id)).body.events as unknown[];
    expect(moved).toHaveLength(3); // queued, in_progress, and the duplicate's one report before the merge
  });
});
