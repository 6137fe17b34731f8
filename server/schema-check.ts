import type { z } from 'zod';
import { badRequest } from './errors.ts';
import type { FieldIssue } from './well-formed.ts';

/** Checks a value against a schema; `extra` issues found beforehand are reported with the schema's. */
export function check<S extends z.ZodType>(schema: S, value: unknown, extra: FieldIssue[] = []): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success && extra.length === 0) return parsed.data;
  const errors = [
    ...extra,
    ...(parsed.success ? [] : parsed.error.issues).map((issue) => ({
      field: issue.path.length ? issue.path.join('.') : '(body)',
      message: issue.message,
    })),
  ];
  const fields = [...new Set(errors.map((error) => error.field))];
  throw badRequest(`Invalid fields: ${fields.join(', ')}.`, { errors });
}
