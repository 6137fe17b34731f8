import type { EnvironmentKey, Scope } from '../db/dora-aggregates.ts';
import { environmentPage } from '../db/dora-page.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { badRequest } from '../errors.ts';
import { illFormed } from '../well-formed.ts';
import { assembleReports, type DoraReport, windowRows } from './compute.ts';
import type { DoraWindow } from './window.ts';

/**
 * How many environments one DORA answer reports unless asked otherwise: each carries its whole
 * trend (a month of days is about 8 kB of JSON), so an answer over every environment of a large
 * installation is paged, and its cost follows the page, not the number of environments.
 */
export const DORA_PAGE_SIZE = 20;
export const DORA_MAX_PAGE_SIZE = 200;

export interface DoraPage {
  reports: DoraReport[];
  /** Where the next page starts; null on the last page. */
  next: EnvironmentKey | null;
}

/**
 * One page of DORA reports: the environments in scope in (repository, environment) order after
 * `after`, at most `limit`, each computed as computeDora computes it (the same rows, read for
 * this page's environments only).
 */
export async function computeDoraPage(
  prisma: PrismaClient,
  scope: Scope,
  window: DoraWindow,
  page: { after?: EnvironmentKey | undefined; limit: number },
): Promise<DoraPage> {
  const { environments, more } = await environmentPage(prisma, scope, page.after, page.limit);
  const [rows, rework] = await windowRows(prisma, { ...scope, environments }, window, 'auto');
  const last = environments.at(-1);
  return {
    reports: assembleReports(environments, rows, rework, window),
    next: more && last ? { repositoryKey: last.repositoryKey, environmentKey: last.environmentKey } : null,
  };
}

/** Opaque: the folded names of the last environment of a page, as JSON in base64url. */
export function encodeDoraCursor(key: EnvironmentKey): string {
  return Buffer.from(JSON.stringify([key.repositoryKey, key.environmentKey])).toString('base64url');
}

/** Accepts exactly what encodeDoraCursor writes: anything else is a 400, not a database error. */
export function decodeDoraCursor(value: string): EnvironmentKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !parsed.every(
      (part) =>
        typeof part === 'string' && part.length > 0 && part.length <= 1024 && illFormed(part) === null,
    )
  )
    throw badRequest('The cursor is not one this server issued; use next_cursor from the previous page.');
  return { repositoryKey: parsed[0], environmentKey: parsed[1] };
}
