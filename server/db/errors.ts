export const KEY_INDEX = 'deployment_repository_environment_key_key';
export const ACTIVE_INDEX = 'deployment_one_active_per_environment';

/**
 * Whether a Prisma error is a unique violation of the named index. The adapters report the
 * index differently (pg: `meta.index`-like fields, PGlite: `fields`), but both carry the
 * database's own message, which names it.
 */
export function isUniqueViolation(error: unknown, index: string): boolean {
  if (!error || typeof error !== 'object' || (error as { code?: unknown }).code !== 'P2002') return false;
  const { meta, message } = error as { meta?: unknown; message?: string };
  return `${message ?? ''} ${safeStringify(meta)}`.includes(index);
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? '';
  } catch {
    return '';
  }
}
