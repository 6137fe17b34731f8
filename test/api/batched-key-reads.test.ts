import { describe, expect, it } from 'vitest';
import { keyReader } from '../../server/db/batched-key-reads.ts';
import type { SqlRunner } from '../../server/db/deployment-sql.ts';

// Replays' reads by key, shared while others are in flight, with a fake "database" that records
// every statement and answers a row for each key present in `stored`.

function fakeDatabase(stored: Set<string>) {
  const statements: { name: string | undefined; keys: string[] }[] = [];
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const row = (key: string, ord: number) => ({ id: `id-${key}`, key, version: 1, read_ord: ord });
  const sql: SqlRunner = {
    query: async <R>(_text: string, params: unknown[], name?: string) => {
      const keys = (name === 'deployment_by_keys' ? params[2] : [params[2]]) as string[];
      statements.push({ name, keys });
      await held;
      if (keys.includes('broken')) throw new Error('connection lost');
      return keys.flatMap((key, i) => (stored.has(key) ? [row(key, i + 1)] : [])) as R[];
    },
  };
  return { read: keyReader(sql, { parallel: 1, maxBatch: 3 }), statements, release };
}

const idOf = async (read: Promise<{ record: { id: string } } | null>) => (await read)?.record.id ?? null;

describe('batched reads by key', () => {
  it('reads that arrive while one is in flight share the next statement, each answered its own row', async () => {
    const db = fakeDatabase(new Set(['a', 'b', 'd']));
    const first = idOf(db.read('acme/shop', 'production', 'a'));
    const waiting = ['b', 'c', 'b', 'd', 'e'].map((key) => idOf(db.read('acme/shop', 'production', key)));
    db.release();
    expect(await first).toBe('id-a');
    expect(await Promise.all(waiting)).toEqual(['id-b', null, 'id-b', 'id-d', null]);
    // One read alone, then three distinct keys (the second b shares its read), then the rest.
    expect(db.statements).toEqual([
      { name: 'deployment_by_key', keys: ['a'] },
      { name: 'deployment_by_keys', keys: ['b', 'c', 'd'] },
      { name: 'deployment_by_key', keys: ['e'] },
    ]);
  });

  it('a key spelled another way shares the read; a failed shared statement fails only the key that broke it', async () => {
    const db = fakeDatabase(new Set(['a']));
    const first = db.read('acme/shop', 'production', 'x');
    const broken = db.read('acme/shop', 'production', 'broken');
    const a = idOf(db.read('Acme/Shop', 'Production', 'a'));
    const same = idOf(db.read('acme/shop', 'production', 'a'));
    db.release();
    expect(await first).toBeNull();
    await expect(broken).rejects.toThrow('connection lost');
    expect(await a).toBe('id-a');
    expect(await same).toBe('id-a');
    // The shared statement failed: each key read again alone.
    expect(db.statements.map((statement) => statement.keys)).toEqual([
      ['x'],
      ['broken', 'a'],
      ['broken'],
      ['a'],
    ]);
  });
});
