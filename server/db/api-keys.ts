import type { PrismaClient } from './generated/client.ts';

// Stored API keys (api_key): the secret's hash under a prefix that finds it.

export interface ApiKeySummary {
  prefix: string;
  repository: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export async function insertApiKey(
  prisma: PrismaClient,
  key: { id: string; repository: string; prefix: string; hash: string },
): Promise<void> {
  await prisma.apiKey.create({ data: key });
}

/** The unrevoked keys under this prefix, with their hashes (hex). */
export async function findLiveKeys(prisma: PrismaClient, prefix: string) {
  return prisma.apiKey.findMany({ where: { prefix, revokedAt: null } });
}

/** Every stored key (never the secret: only its prefix), newest first. */
export async function listApiKeys(prisma: PrismaClient, repository?: string): Promise<ApiKeySummary[]> {
  return prisma.apiKey.findMany({
    where: repository ? { repository: { equals: repository, mode: 'insensitive' } } : {},
    select: { prefix: true, repository: true, createdAt: true, revokedAt: true },
    orderBy: { createdAt: 'desc' },
  });
}

/** Marks the unrevoked keys with this prefix revoked; how many were. */
export async function revokeByPrefix(prisma: PrismaClient, prefix: string): Promise<number> {
  const { count } = await prisma.apiKey.updateMany({
    where: { prefix, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return count;
}
