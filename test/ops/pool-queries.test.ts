import pg from 'pg';
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

  it('decode timestamps to the instants node-postgres’ own parser gives, in any session time zone', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const stored = [
      '2026-12-07 06:31:10.924+00',
      '2026-12-07 06:31:10+00',
      '2026-12-07 06:31:10.9+00',
      '2026-12-07 06:31:10.123456+00',
      '2026-02-28 23:59:59.999+00',
      '0099-01-01 00:00:00+00',
      '0044-03-15 12:00:00+00 BC',
      'infinity',
      '-infinity',
    ];
    // node-postgres' own parsers, as registered before the pool set postgres-date 2.
    const oldZoned = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ, 'text');
    const oldPlain = pg.types.getTypeParser(pg.types.builtins.TIMESTAMP, 'text');
    const instant = (value: unknown) => (value instanceof Date ? value.getTime() : value);
    for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns']) {
      const database = openPool('postgresql', {
        connectionString: db.url,
        max: 1,
        options: `-c TimeZone=${zone}`,
      });
      cleanups.push(() => database.close());
      const rows = await database.sql.query<{ at: unknown; text: string; plain: unknown; plainText: string }>(
        `SELECT v::timestamptz AS at, v::timestamptz::text AS text,
                v::timestamptz::timestamp AS plain, v::timestamptz::timestamp::text AS "plainText"
         FROM unnest($1::text[]) AS v`,
        [stored],
      );
      const instants = rows.map((row) => instant(row.at));
      expect(instants).toEqual(rows.map((row) => instant(oldZoned(row.text))));
      // Spot checks against the instants themselves, not only the old parser.
      expect(instants[0]).toBe(Date.parse('2026-12-07T06:31:10.924Z'));
      expect(instants[3]).toBe(Date.parse('2026-12-07T06:31:10.123Z'));
      expect(instants.slice(-2)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
      // A timestamp without a zone is read as local time, as before.
      expect(rows.map((row) => instant(row.plain))).toEqual(
        rows.map((row) => instant(oldPlain(row.plainText))),
      );
    }
  });
});
