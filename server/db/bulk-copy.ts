import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';

/** A column of a bulk write: its name, SQL type and value (null for SQL NULL). */
export type Column<T> = [name: string, type: string, value: (row: T) => unknown];

// Rows per chunk of COPY text handed to the stream.
const ROWS_PER_CHUNK = 1000;

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One value in COPY's text format: `\N` for null, dates as ISO text, JSON columns as documents. */
function copyText(type: string, value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  let text: string;
  if (type === 'jsonb') text = JSON.stringify(value);
  else if (value instanceof Date) text = value.toISOString();
  else text = String(value);
  return text.replace(/[\\\n\r\t]/g, (c) => ESCAPES[c] as string);
}

function* copyLines<T>(columns: Column<T>[], rows: T[]): Generator<string> {
  for (let start = 0; start < rows.length; start += ROWS_PER_CHUNK) {
    let chunk = '';
    for (const row of rows.slice(start, start + ROWS_PER_CHUNK))
      chunk += `${columns.map(([, type, value]) => copyText(type, value(row))).join('\t')}\n`;
    yield chunk;
  }
}

/**
 * `COPY table (columns) FROM STDIN` (PostgreSQL only: the embedded database's socket does not
 * speak COPY): rows in the order given, every constraint and unique index checked as by INSERT,
 * without a statement's parameter and parsing cost per row.
 */
export async function copyRows<T>(
  client: pg.PoolClient,
  table: string,
  columns: Column<T>[],
  rows: T[],
): Promise<void> {
  if (!rows.length) return;
  const names = columns.map(([name]) => name).join(', ');
  await pipeline(
    Readable.from(copyLines(columns, rows)),
    client.query(copyStreams.from(`COPY ${table} (${names}) FROM STDIN`)),
  );
}
