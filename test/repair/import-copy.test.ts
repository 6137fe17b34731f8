import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spoolLegacyFile } from '../../server/repair/import-spool.ts';
import { runImport } from '../../server/repair/run-import.ts';
import { type DatabaseKind, type LedgerDatabase, openLedgerDatabase } from '../helpers/ledger-db.ts';

// Names may hold what COPY's text format escapes (tab, newline, backslash) and what JSON quotes.
const ENVIRONMENT = 'eu\\west\t"blue"\nline two';
const URL = 'https://example.com/a%5Cb?q=%09';

describe.each<DatabaseKind>(['postgresql', 'embedded'])('import writes names as given (%s)', (kind) => {
  let db: LedgerDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await openLedgerDatabase(kind);
    dir = mkdtempSync(path.join(tmpdir(), 'deployledger-import-copy-'));
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every character of names, urls and timeline details, and finds them again', async () => {
    const file = path.join(dir, 'history.jsonl');
    const row = (sha: string, status: string, hour: number) =>
      JSON.stringify({
        repository: 'acme/copy',
        environment: ENVIRONMENT,
        sha,
        status,
        created_at: `2026-03-01T0${hour}:00:00Z`,
        deployed_at: status === 'success' ? `2026-03-01T0${hour}:05:00Z` : '',
        environment_url: URL,
      });
    writeFileSync(file, `${[row('aaaaaaa', 'success', 1), row('bbbbbbb', 'failed', 2)].join('\n')}\n`);
    const importFile = async () => {
      const spool = await spoolLegacyFile(file);
      try {
        return await runImport(db.database, spool, 60_000);
      } finally {
        spool.remove();
      }
    };
    expect(await importFile()).toMatchObject({ deployments: 2, imported: 2 });
    const records = await db.sql.query<Record<string, unknown>>(
      `SELECT d.environment, d.sha, d.state, d.environment_url,
              (SELECT array_agg(e.detail->>'imported_line' ORDER BY e.id) FROM deployment_event e
               WHERE e.deployment_id = d.id) AS lines
       FROM deployment d WHERE d.repository = 'acme/copy' ORDER BY d.created_at`,
      [],
    );
    expect(records).toEqual([
      { environment: ENVIRONMENT, sha: 'aaaaaaa', state: 'success', environment_url: URL, lines: ['1'] },
      { environment: ENVIRONMENT, sha: 'bbbbbbb', state: 'failure', environment_url: URL, lines: ['2'] },
    ]);
    // The keys the first import stored are found again: nothing is added twice.
    expect(await importFile()).toMatchObject({ deployments: 2, imported: 0, alreadyImported: 2 });
  });
});
