import { revokeByPrefix } from '../db/api-keys.ts';
import type { PrismaClient } from '../db/generated/client.ts';

/**
 * Revokes the key with this prefix: the bare 12 characters, `dl_<prefix>` (as the docs show it),
 * `dl_<prefix>_…` (as `keys list` prints it) or the whole key. The verifier caches a verified key
 * for 5 s, so a revoked key is refused within them.
 */
export async function revokeApiKey(prisma: PrismaClient, keyOrPrefix: string): Promise<number> {
  const prefix = /^dl_([A-Za-z0-9_-]{12})(?:_|$)/.exec(keyOrPrefix)?.[1] ?? keyOrPrefix;
  return revokeByPrefix(prisma, prefix);
}
