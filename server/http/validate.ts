import type { Context, ValidationTargets } from 'hono';
import type { z } from 'zod';
import { badRequest } from '../errors.ts';
import { fieldIssues, invalidFields } from '../schema-check.ts';
import { findIllFormed } from '../well-formed.ts';
import { bodyBytes } from './body-limit.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The JSON media types @hono/zod-openapi lets through to a route's body schema: anything else
 * is refused here with our Problem, before its own gate would answer 415 as a plain error.
 */
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

/**
 * Reads a JSON body before the route's schema checks it: text that cannot be stored as sent
 * (invalid UTF-8) is refused here, not replaced with U+FFFD by the body parser, and a body that
 * is not JSON is named as such. The schema then checks the fields (validationHook).
 */
export async function readJsonBody(c: Context): Promise<void> {
  if (!JSON_CONTENT_TYPE.test(c.req.header('content-type') ?? '')) {
    throw badRequest('The body must be JSON: send Content-Type: application/json.');
  }
  let text: string;
  try {
    text = utf8.decode(await bodyBytes(c));
  } catch {
    throw badRequest('The body is not valid UTF-8; send JSON encoded as UTF-8.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badRequest(`The body is not valid JSON: ${(error as Error).message}`);
  }
  // The validator's c.req.json() takes this value instead of parsing the text again (Hono's body
  // cache holds promises, typed as values).
  c.req.bodyCache.text = Promise.resolve(text) as unknown as string;
  c.req.bodyCache.json = Promise.resolve(parsed);
  if (!mayHoldIllFormed(text)) storable.add(c.req.raw);
}

// Requests whose JSON body cannot hold a string the database refuses: validationHook skips its walk.
const storable = new WeakSet<Request>();

/**
 * A NUL or a lone surrogate can only reach a parsed JSON string through a `\u` escape: raw
 * control characters are not JSON, and strictly decoded UTF-8 holds no surrogate.
 */
function mayHoldIllFormed(text: string): boolean {
  return text.includes('\\u') && /\\u(0000|d[89a-f])/i.test(text);
}

/**
 * Every route's validation outcome (the `defaultHook` of our OpenAPIHono apps): a bad header,
 * query or body is answered 400 naming every bad field at once, and a JSON body's strings that
 * cannot be stored (NUL bytes, lone surrogates) are named with the schema's issues.
 */
export function validationHook(
  result: { target: keyof ValidationTargets } & (
    | { success: true; data: unknown }
    | { success: false; error: z.ZodError }
  ),
  c?: Context,
): undefined {
  const walk = result.target === 'json' && !(c && storable.has(c.req.raw));
  if (result.success && !walk) return undefined;
  // zValidator hands over the value it checked whether or not it passed.
  const value = (result as { data?: unknown }).data;
  const issues = [
    ...(walk ? findIllFormed(value) : []),
    ...(result.success ? [] : fieldIssues(result.error)),
  ];
  if (issues.length === 0) return undefined;
  // A header's own message names it (the Idempotency-Key rules); fields are listed.
  if (result.target === 'header') throw badRequest(issues.map((issue) => issue.message).join(' '));
  throw invalidFields(issues);
}
