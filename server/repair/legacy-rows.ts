import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { z } from 'zod';
import { inStoredYears, STORED_YEARS } from '../instant.ts';
import { MAX_RUN_ATTEMPT, parseState, type State } from '../ledger/index.ts';
import { findIllFormed } from '../well-formed.ts';

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

// Every value is checked for what the database can store before anything is written: a value
// refused by its statement would end the import with part of the file written.
const blank = (value: unknown) => (value === '' || value === null ? undefined : value);
const A_TIME = 'must be a time, e.g. 2024-01-31T10:00:00Z';
// An export of a `timestamp` column carries no offset ("2024-01-31 10:00:00"): it is read as UTC,
// not in the zone of the machine that happens to run the import (the same file must give the
// same records, and the same keys, wherever it is imported).
const ZONELESS = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?$/;
const date = z.preprocess(
  blank,
  // A number is refused rather than guessed at (seconds or milliseconds since 1970?).
  z.string({ error: A_TIME }).transform((value, ctx): Date => {
    const text = value.trim();
    const zoneless = ZONELESS.exec(text);
    const time = new Date(zoneless ? `${zoneless[1]}T${zoneless[2] ?? '00:00'}Z` : text);
    if (/^\d+$/.test(text) || Number.isNaN(time.getTime())) {
      ctx.addIssue({ code: 'custom', message: A_TIME });
      return z.NEVER;
    }
    if (!inStoredYears(time)) {
      ctx.addIssue({ code: 'custom', message: STORED_YEARS });
      return z.NEVER;
    }
    return time;
  }),
);
const integer = (max: number) => z.preprocess(blank, z.coerce.number().int().positive().max(max).optional());

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
  run_id: integer(Number.MAX_SAFE_INTEGER),
  run_attempt: integer(MAX_RUN_ATTEMPT),
  environment_url: z.preprocess(blank, z.url().optional()),
});

/** A row as read from the file, checked: the row, or what is wrong with it. */
export function parseLegacyRow(line: number, value: unknown): LegacyRow | string {
  const parsed = rowSchema.safeParse(value);
  if (!parsed.success) {
    return `line ${line}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join(', ')}`;
  }
  // Text the database refuses (a NUL byte, a lone surrogate), in what the row will store.
  const unstorable = findIllFormed(parsed.data);
  if (unstorable.length > 0)
    return `line ${line}: ${unstorable.map((issue) => `${issue.field} ${issue.message}`).join(', ')}`;
  const row = parsed.data;
  return {
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
  };
}

/** The error for a file with bad rows: every one named, nothing imported. */
export function refusal(file: string, problems: string[]): Error {
  return new Error(`${file} has rows that cannot be imported; nothing was imported:\n${problems.join('\n')}`);
}

/**
 * Streams a history table exported as CSV (with a header line) or as JSON lines, the format told
 * by the file name (.csv, .jsonl/.ndjson/.json): each row with its line number, unchecked (see
 * parseLegacyRow). Memory stays flat whatever the file's size.
 */
export async function* readLegacyFile(file: string): AsyncGenerator<[number, unknown]> {
  const input = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  if (file.toLowerCase().endsWith('.csv')) {
    const records = input.pipe(parse({ columns: true, skip_empty_lines: true, trim: true, info: true }));
    for await (const { record, info } of records as AsyncIterable<{
      record: unknown;
      info: { lines: number };
    }>)
      yield [info.lines, record];
    return;
  }
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    line += 1;
    if (!text.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      input.destroy();
      throw new Error(`line ${line} is not JSON; expected one JSON object per line`);
    }
    yield [line, value];
  }
}
