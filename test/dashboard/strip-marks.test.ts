import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRIP_SLOTS, stripMarks } from '../../server/db/dashboard-reads.ts';
import { type DatabaseKind, type LedgerDatabase, openLedgerDatabase } from '../helpers/ledger-db.ts';

const DAY_MS = 86_400_000;
const until = new Date();
const since = new Date(until.getTime() - 90 * DAY_MS);
const slotMs = (until.getTime() - since.getTime()) / STRIP_SLOTS;

/** `count` deployments in `environment`, one every `everyMs` back from `until`, the newest failed. */
async function writeHistory(db: LedgerDatabase, environment: string, count: number, everyMs: number) {
  await db.sql.query(
    `INSERT INTO deployment (id, repository, environment, key, sha, state, created_at, updated_at)
     SELECT gen_random_uuid(), 'acme/shop', $1::text, g::text, md5(g::text),
            CASE WHEN g = 1 THEN 'failure' ELSE 'inactive' END,
            $2::timestamptz - (g * $3::float8) * interval '1 millisecond', now()
     FROM generate_series(1, $4::int) g`,
    [environment, until, everyMs, count],
  );
  return db.sql.query<{ id: string; created_at: Date }>(
    'SELECT id, created_at FROM deployment WHERE environment = $1 ORDER BY created_at, id',
    [environment],
  );
}

describe.each<DatabaseKind>(['postgresql', 'embedded'])('the 90-day strip on %s', (kind) => {
  let db: LedgerDatabase;
  beforeAll(async () => {
    db = await openLedgerDatabase(kind);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('marks every deployment of a quiet environment, oldest first', async () => {
    const written = await writeHistory(db, 'quiet', STRIP_SLOTS, DAY_MS / 4);
    const strip = await stripMarks(db.prisma, 'acme/shop', 'quiet', since, until);
    expect(strip.slots).toBeNull();
    // As many deployments as the strip has slots (6 hours apart, all within the 90 days): each its own mark.
    expect(strip.marks.map((mark) => mark.id)).toEqual(written.map((row) => row.id));
    expect(strip.marks.at(-1)?.state).toBe('failure');
  });

  it("marks a busy environment's latest deployment of each slot", async () => {
    // One an hour for 100 days: 12 in each half-day slot, and days before the strip begins.
    const written = await writeHistory(db, 'busy', 2400, 3_600_000);
    const strip = await stripMarks(db.prisma, 'acme/shop', 'busy', since, until);
    expect(strip.slots).toBe(STRIP_SLOTS);
    const slotOf = (at: Date) =>
      Math.min(STRIP_SLOTS - 1, Math.floor((at.getTime() - since.getTime()) / slotMs));
    const latestOfEachSlot = new Map<number, string>();
    for (const row of written)
      if (row.created_at >= since) latestOfEachSlot.set(slotOf(row.created_at), row.id);
    expect(strip.marks).toHaveLength(STRIP_SLOTS);
    expect(strip.marks.map((mark) => mark.id)).toEqual([...latestOfEachSlot.values()]);
    expect(strip.marks.at(-1)?.state).toBe('failure');
  });
});
