import type { z } from 'zod';
import { badRequest } from './errors.ts';
import type { FieldIssue } from './well-formed.ts';

/** Checks a value against a schema outside a route (webhook payloads), naming every bad field. */
export function check<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw invalidFields(fieldIssues(parsed.error));
}

export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join('.') : '(body)',
    message: issue.message,
  }));
}

/** A 400 naming every bad field. */
export function invalidFields(errors: FieldIssue[]) {
  const fields = [...new Set(errors.map((error) => error.field))];
  return badRequest(`Invalid fields: ${fields.join(', ')}.`, { errors });
}
