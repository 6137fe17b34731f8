import { revokeByPrefix } from '../db/api-keys.ts';
import type { PrismaClient } from '../db/generated/client.ts';

/**
 * Revokes the key with this prefix (`dl_<prefix>_…`; the whole key works too). The verifier reads
 * keys per request, so a revoked key is refused from the next request on.
 */
export async function revokeApiKey(prisma: PrismaClient, keyOrPrefix: string): Promise<number> {
  const prefix = /^dl_([A-Za-z0-9_-]{12})_/.exec(keyOrPrefix)?.[1] ?? keyOrPrefix;
  return revokeByPrefix(prisma, prefix);
}
