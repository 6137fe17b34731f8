import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse';
import { openDatabase } from '../server/db/connect.ts';
import { runCli } from '../test/helpers/cli.ts';
import { createTestDatabase } from '../test/helpers/postgres.ts';
import { writeLegacyHistory } from './legacy-history.ts';

export const IMPORT_ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 200_000);
const CHUNK = 5000;

interface Timed {
  seconds: number;
  stdout: string;
  peakMiB: number | null;
}

/** `deployledger import <file>` as a user runs it (its own process), timed, with its peak RSS. */
export async function timeImport(file: string, env: Record<string, string | undefined>): Promise<Timed> {
  const started = performance.now();
  const { code, stdout, stderr } = await runCli(['import', file], env, [
    '/usr/bin/time',
    '-f',
    'maxrss_kb=%M',
  ]);
  const seconds = (performance.now() - started) / 1000;
  const peak = /maxrss_kb=(\d+)/.exec(stderr);
  if (code !== 0) throw new Error(`deployledger import failed (${code}):\n${stderr}`);
  return { seconds, stdout, peakMiB: peak ? Number(peak[1]) / 1024 : null };
}

type Run = (sql: string, params: unknown[]) => Promise<unknown>;

/** The baseline: the same rows into a plain table (no indexes), 5000 per multi-row INSERT. */
async function plainInsert(file: string, run: Run): Promise<number> {
  await run(
    `CREATE TABLE bench_legacy (repository text, environment text, sha text, status text,
       created_at timestamptz, deployed_at timestamptz, run_id bigint, run_attempt integer, environment_url text)`,
    [],
  );
  const started = performance.now();
  const columns = [
    'repository',
    'environment',
    'sha',
    'status',
    'created_at',
    'deployed_at',
    'run_id',
    'run_attempt',
    'environment_url',
  ];
  const types = ['text', 'text', 'text', 'text', 'timestamptz', 'timestamptz', 'bigint', 'integer', 'text'];
  const sql = `INSERT INTO bench_legacy SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`;
  let chunk: Array<Record<string, string>> = [];
  const flush = async () => {
    if (!chunk.length) return;
    const rows = chunk;
    chunk = [];
    await run(
      sql,
      columns.map((column) => rows.map((row) => (row[column] === '' ? null : row[column]))),
    );
  };
  for await (const row of createReadStream(file).pipe(parse({ columns: true }))) {
    chunk.push(row as Record<string, string>);
    if (chunk.length >= CHUNK) await flush();
  }
  await flush();
  return (performance.now() - started) / 1000;
}

const deployments = (stdout: string) => /(\d+) deployment\(s\)/.exec(stdout)?.[1] ?? '?';

/** Issue 16: `deployledger import` on PostgreSQL and embedded, beside a plain multi-row INSERT. */
export async function benchImport(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'deployledger-bench-import-'));
  const file = path.join(dir, 'history.csv');
  try {
    await writeLegacyHistory(file, IMPORT_ROWS);
    const lines: string[] = [];
    const row = (
      database: string,
      what: string,
      seconds: number,
      baseline: number | null,
      peak: number | null = null,
    ) => {
      const ratio = baseline === null ? 'baseline' : `${((baseline / seconds) * 100).toFixed(1)} %`;
      lines.push(
        `| ${database} | ${what} | ${seconds.toFixed(1)} | ${(IMPORT_ROWS / seconds).toFixed(0)} | ${peak === null ? '' : peak.toFixed(0)} | ${ratio} |`,
      );
    };

    const pgDb = await createTestDatabase();
    try {
      const pg = await openDatabase({ databaseUrl: pgDb.url, dataDir: dir, poolSize: 1 });
      const pgBaseline = await plainInsert(file, (sql, params) =>
        pg.prisma.$executeRawUnsafe(sql, ...params),
      );
      await pg.close();
      row('PostgreSQL', 'same rows into a plain table, multi-row INSERT (baseline)', pgBaseline, null);
      const first = await timeImport(file, { DATABASE_URL: pgDb.url });
      row(
        'PostgreSQL',
        `deployledger import (${deployments(first.stdout)} deployments)`,
        first.seconds,
        pgBaseline,
        first.peakMiB,
      );
      const again = await timeImport(file, { DATABASE_URL: pgDb.url });
      if (!again.stdout.includes(' 0 imported'))
        throw new Error(`the second import added records:\n${again.stdout}`);
      row(
        'PostgreSQL',
        'deployledger import of the same file again (adds nothing)',
        again.seconds,
        pgBaseline,
        again.peakMiB,
      );
    } finally {
      await pgDb.drop();
    }

    const baselineDir = path.join(dir, 'embedded-baseline');
    const embedded = await openDatabase({ dataDir: baselineDir, poolSize: 1 });
    const embeddedBaseline = await plainInsert(file, (sql, params) =>
      embedded.prisma.$executeRawUnsafe(sql, ...params),
    );
    await embedded.close();
    row('embedded', 'same rows into a plain table, multi-row INSERT (baseline)', embeddedBaseline, null);
    const imported = await timeImport(file, {
      DATABASE_URL: undefined,
      DEPLOYLEDGER_DATA_DIR: path.join(dir, 'embedded'),
    });
    row(
      'embedded',
      `deployledger import (${deployments(imported.stdout)} deployments)`,
      imported.seconds,
      embeddedBaseline,
      imported.peakMiB,
    );

    console.log(
      `\n## deployledger import, ${IMPORT_ROWS} legacy rows (50 repositories × 4 environments, CSV)\n`,
    );
    console.log('| database | what | seconds | rows/s | peak RSS MiB | vs baseline |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: |');
    for (const line of lines) console.log(line);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
