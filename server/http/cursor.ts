import { badRequest } from './problem.ts';

export interface Cursor {
  createdAt: Date;
  id: string;
}

/** Opaque keyset cursor: the (created_at, id) of the last item of a page. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

export function decodeCursor(value: string): Cursor {
  const [at, id] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!id || Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw badRequest('The cursor is not one this server issued; use next_cursor from the previous page.');
  }
  return { createdAt, id };
}
