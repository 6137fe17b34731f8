import type { Context } from 'hono';
import type { z } from 'zod';
import { badRequest } from '../errors.ts';
import { check } from '../schema-check.ts';
import { findIllFormed } from '../well-formed.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses the JSON body and checks it against a schema, naming every bad field at once. Text
 * that cannot be stored as sent (invalid UTF-8, NUL bytes, lone surrogates) is refused here,
 * not replaced or left for the database to reject.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw badRequest('The body must be JSON: send Content-Type: application/json.');
  }
  let text: string;
  try {
    text = utf8.decode(await c.req.arrayBuffer());
  } catch {
    throw badRequest('The body is not valid UTF-8; send JSON encoded as UTF-8.');
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw badRequest(`The body is not valid JSON: ${(error as Error).message}`);
  }
  return check(schema, body, findIllFormed(body));
}
