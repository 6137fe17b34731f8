import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { foldName, type State } from '../ledger/index.ts';
import { type LegacyRow, parseLegacyRow, readLegacyFile, refusal } from './legacy-rows.ts';

// Rows are spooled to disk by environment (hashed into this many files), so at most one file's
// rows are in memory at a time: about a 1/64th of the history, and at least its largest
// environment (grouping duplicates needs every row of an environment at once).
const BUCKETS = 64;
const FLUSH_BYTES = 256 * 1024;

type Spooled = [
  number,
  string,
  string,
  string,
  State,
  number,
  number | null,
  number | null,
  number | null,
  string | null,
];

/** A checked legacy file, spooled by environment; `remove()` deletes the spool. */
export interface Spool {
  rows: number;
  /** Each environment's rows (names folded), one environment at a time. */
  environments(): Generator<LegacyRow[]>;
  remove(): void;
}

/**
 * Reads and checks the whole file before anything is written (a file with a bad row is refused
 * whole, each bad row named), spooling the rows it will import by environment.
 */
export async function spoolLegacyFile(file: string): Promise<Spool> {
  const dir = mkdtempSync(path.join(tmpdir(), 'deployledger-import-'));
  const fds = new Map<number, number>();
  const buffers = new Map<number, string[]>();
  const sizes = new Map<number, number>();
  const flush = (bucket: number) => {
    const lines = buffers.get(bucket);
    if (!lines?.length) return;
    let fd = fds.get(bucket);
    if (fd === undefined) {
      fd = openSync(path.join(dir, `${bucket}.jsonl`), 'a');
      fds.set(bucket, fd);
    }
    writeSync(fd, lines.join(''));
    buffers.set(bucket, []);
    sizes.set(bucket, 0);
  };
  const problems: string[] = [];
  let rows = 0;
  try {
    for await (const [line, value] of readLegacyFile(file)) {
      const row = parseLegacyRow(line, value);
      if (typeof row === 'string') {
        problems.push(row);
        continue;
      }
      rows += 1;
      if (problems.length) continue;
      const bucket = bucketOf(row);
      const text = `${JSON.stringify(encode(row))}\n`;
      const lines = buffers.get(bucket) ?? [];
      lines.push(text);
      buffers.set(bucket, lines);
      const size = (sizes.get(bucket) ?? 0) + text.length;
      sizes.set(bucket, size);
      if (size >= FLUSH_BYTES) flush(bucket);
    }
    if (problems.length) throw refusal(file, problems);
    for (const bucket of buffers.keys()) flush(bucket);
  } catch (error) {
    for (const fd of fds.values()) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  for (const fd of fds.values()) closeSync(fd);
  const buckets = [...fds.keys()].sort((a, b) => a - b);
  return {
    rows,
    *environments() {
      for (const bucket of buckets) {
        const byEnvironment = new Map<string, LegacyRow[]>();
        for (const text of readFileSync(path.join(dir, `${bucket}.jsonl`), 'utf8').split('\n')) {
          if (!text) continue;
          const row = decode(JSON.parse(text) as Spooled);
          const scope = scopeOf(row);
          const list = byEnvironment.get(scope);
          if (list) list.push(row);
          else byEnvironment.set(scope, [row]);
        }
        yield* byEnvironment.values();
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function scopeOf(row: LegacyRow): string {
  return `${foldName(row.repository)}\n${foldName(row.environment)}`;
}

/** FNV-1a over the folded names: one environment always lands in one file. */
function bucketOf(row: LegacyRow): number {
  const scope = scopeOf(row);
  let hash = 0x811c9dc5;
  for (let i = 0; i < scope.length; i++) hash = Math.imul(hash ^ scope.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % BUCKETS;
}

function encode(row: LegacyRow): Spooled {
  return [
    row.line,
    row.repository,
    row.environment,
    row.sha,
    row.state,
    row.createdAt.getTime(),
    row.deployedAt?.getTime() ?? null,
    row.runId,
    row.runAttempt,
    row.environmentUrl,
  ];
}

function decode([
  line,
  repository,
  environment,
  sha,
  state,
  createdAt,
  deployedAt,
  runId,
  runAttempt,
  environmentUrl,
]: Spooled): LegacyRow {
  return {
    id: `line-${line}`,
    line,
    repository,
    environment,
    sha,
    state,
    createdAt: new Date(createdAt),
    deployedAt: deployedAt === null ? null : new Date(deployedAt),
    runId,
    runAttempt,
    environmentUrl,
  };
}
