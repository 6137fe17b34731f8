import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryTextArray } from '../../server/db/binary-text-array.ts';
import { ADMIN_URL } from '../helpers/postgres.ts';

// The inbox sends each column of a batch of deliveries as one binary text[] parameter: what
// PostgreSQL reads back must be exactly what was sent, whatever the bodies hold.
describe('binaryTextArray as a parameter of a real PostgreSQL', () => {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  beforeAll(() => client.connect());
  afterAll(() => client.end());

  const roundTrip = async (items: Array<string | Uint8Array | null>) => {
    const { rows } = await client.query<{ item: string | null; n: number }>(
      'SELECT item, n::int FROM unnest($1::text[]) WITH ORDINALITY AS t(item, n) ORDER BY n',
      [binaryTextArray(items)],
    );
    return rows.map((row) => row.item);
  };

  it('keeps quotes, backslashes, braces, commas, non-ASCII, empty strings and NULLs as they are', async () => {
    const items = ['{"a":"b\\"c"}', 'x,y', '{}', '', null, 'Grüße 🚀', 'NULL', ' spaced '];
    expect(await roundTrip(items)).toEqual(items);
  });

  it('takes bytes as they came (a body) beside strings', async () => {
    const body = Buffer.from('{"zen":"Keep it logically awesome.","ü":1}');
    expect(await roundTrip([new Uint8Array(body), 'after'])).toEqual([body.toString('utf8'), 'after']);
  });

  it('is an empty array for no items', async () => {
    expect(await roundTrip([])).toEqual([]);
  });

  it('is refused by PostgreSQL when an element is not valid UTF-8', async () => {
    await expect(roundTrip([new Uint8Array([0x7b, 0xff, 0x7d])])).rejects.toThrow(/invalid byte sequence/);
  });
});
