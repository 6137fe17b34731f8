import type { Context } from 'hono';
import type { z } from 'zod';
import { badRequest } from './problem.ts';

/** Parses the JSON body and checks it against a schema, naming every bad field at once. */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw badRequest('The body must be JSON: send Content-Type: application/json.');
  }
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch (error) {
    throw badRequest(`The body is not valid JSON: ${(error as Error).message}`);
  }
  return check(schema, body);
}

export function check<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join('.') : '(body)',
    message: issue.message,
  }));
  const fields = [...new Set(errors.map((error) => error.field))];
  throw badRequest(`Invalid fields: ${fields.join(', ')}.`, { errors });
}
