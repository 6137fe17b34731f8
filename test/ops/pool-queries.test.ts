import { afterAll, describe, expect, it } from 'vitest';
import { openPool } from '../../server/db/postgres-pool.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

// The server's own statements check a client out themselves when a query would open a connection
// (server/db/postgres-pool.ts: node-postgres keeps the result of a connection's first pool.query
// for the connection's life). Whichever way a query goes, the pool must not lose its clients.
describe('the server’s node-postgres queries', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('answer and fail as before, and leave no client checked out', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const database = openPool('postgresql', { connectionString: db.url, max: 3 });
    cleanups.push(() => database.close());

    const many = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        database.sql.query<{ n: number }>('SELECT $1::int AS n', [i], 'n'),
      ),
    );
    expect(many.map((rows) => rows[0]?.n)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    // More failures than connections: each one's client went back (or was replaced).
    for (let i = 0; i < 5; i++)
      await expect(database.sql.query('SELECT 1 / $1::int AS n', [0])).rejects.toThrow(/division by zero/);
    await expect(database.sql.query('SELECT 1 AS one', [])).resolves.toEqual([{ one: 1 }]);
  });
});
