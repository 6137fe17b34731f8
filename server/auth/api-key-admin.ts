import type { PrismaClient } from '../db/generated/client.ts';

export interface ApiKeySummary {
  prefix: string;
  repository: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** Every stored key (never the secret: only its prefix), newest first. */
export async function listApiKeys(prisma: PrismaClient, repository?: string): Promise<ApiKeySummary[]> {
  return prisma.apiKey.findMany({
    where: repository ? { repository: { equals: repository, mode: 'insensitive' } } : {},
    select: { prefix: true, repository: true, createdAt: true, revokedAt: true },
    orderBy: { createdAt: 'desc' },
  });
}

/**
 * Revokes the key with this prefix (`dl_<prefix>_…`; the whole key works too). The verifier reads
 * keys per request, so a revoked key is refused from the next request on.
 */
export async function revokeApiKey(prisma: PrismaClient, keyOrPrefix: string): Promise<number> {
  const prefix = /^dl_([A-Za-z0-9_-]{12})_/.exec(keyOrPrefix)?.[1] ?? keyOrPrefix;
  const { count } = await prisma.apiKey.updateMany({
    where: { prefix, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return count;
}
