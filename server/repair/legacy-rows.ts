import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { parseState, type State } from '../ledger/index.ts';

/** One row of an existing deployment-history table. */
export interface LegacyRow {
  id: string;
  line: number;
  repository: string;
  environment: string;
  sha: string;
  state: State;
  createdAt: Date;
  deployedAt: Date | null;
  runId: number | null;
  runAttempt: number | null;
  environmentUrl: string | null;
}

// Words other tools used for the same states.
const LEGACY_STATES: Record<string, State> = {
  succeeded: 'success',
  successful: 'success',
  deployed: 'success',
  failed: 'failure',
  cancelled: 'error',
  canceled: 'error',
  timed_out: 'error',
};

const blank = (value: unknown) => (value === '' || value === null ? undefined : value);
const date = z.preprocess(
  blank,
  z.coerce.date().refine((d) => !Number.isNaN(d.getTime()), 'must be a date'),
);
const integer = z.preprocess(blank, z.coerce.number().int().positive().optional());

const rowSchema = z.object({
  repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be "owner/name"'),
  environment: z.string().min(1).max(255),
  sha: z.string().regex(/^[0-9a-fA-F]{7,64}$/, 'must be a commit sha'),
  status: z.string().transform((value, ctx): State => {
    const state = parseState(value) ?? LEGACY_STATES[value.trim().toLowerCase()];
    if (!state) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a deployment status` });
      return z.NEVER;
    }
    return state;
  }),
  created_at: date,
  deployed_at: z.preprocess(blank, date.optional()),
  run_id: integer,
  run_attempt: integer,
  environment_url: z.preprocess(blank, z.url().optional()),
});

/**
 * Reads a history table exported as CSV (with a header line) or as JSON lines; the format is
 * told by the file name (.csv, .jsonl/.ndjson/.json). Every bad row is reported with its line.
 */
export function readLegacyRows(file: string): LegacyRow[] {
  const text = readFileSync(file, 'utf8');
  const isCsv = file.toLowerCase().endsWith('.csv');
  const raw: Array<[number, unknown]> = isCsv ? csvRows(text) : jsonLines(text);
  const rows: LegacyRow[] = [];
  const problems: string[] = [];
  for (const [line, value] of raw) {
    const parsed = rowSchema.safeParse(value);
    if (!parsed.success) {
      problems.push(
        `line ${line}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join(', ')}`,
      );
      continue;
    }
    const row = parsed.data;
    rows.push({
      id: `line-${line}`,
      line,
      repository: row.repository,
      environment: row.environment,
      sha: row.sha.toLowerCase(),
      state: row.status,
      createdAt: row.created_at,
      deployedAt: row.deployed_at ?? null,
      runId: row.run_id ?? null,
      runAttempt: row.run_id ? (row.run_attempt ?? 1) : null,
      environmentUrl: row.environment_url ?? null,
    });
  }
  if (problems.length)
    throw new Error(
      `${file} has rows that cannot be imported; nothing was imported:\n${problems.join('\n')}`,
    );
  return rows;
}

function csvRows(text: string): Array<[number, unknown]> {
  const records = parse(text, { columns: true, skip_empty_lines: true, trim: true, info: true }) as Array<{
    record: unknown;
    info: { lines: number };
  }>;
  return records.map(({ record, info }) => [info.lines, record]);
}

function jsonLines(text: string): Array<[number, unknown]> {
  const rows: Array<[number, unknown]> = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    try {
      rows.push([index + 1, JSON.parse(line)]);
    } catch {
      throw new Error(`line ${index + 1} is not JSON; expected one JSON object per line`);
    }
  });
  return rows;
}
