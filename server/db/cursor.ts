import { badRequest } from '../errors.ts';

export interface Cursor {
  createdAt: Date;
  id: string;
}

const ISSUED =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Opaque keyset cursor: the (created_at, id) of the last item of a page. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

/**
 * Accepts exactly what encodeCursor writes (an ISO time of years 1970–9999 and a UUID), so a
 * crafted cursor is a 400 here rather than a database error later.
 */
export function decodeCursor(value: string): Cursor {
  const match = ISSUED.exec(Buffer.from(value, 'base64url').toString('utf8'));
  const createdAt = new Date(match?.[1] ?? '');
  if (!match?.[2] || Number.isNaN(createdAt.getTime()) || createdAt.getTime() < 0) {
    throw badRequest('The cursor is not one this server issued; use next_cursor from the previous page.');
  }
  return { createdAt, id: match[2] };
}
