import { createHash, hash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { findLiveKeys, insertApiKey } from '../db/api-keys.ts';
import type { PrismaClient } from '../db/generated/client.ts';

/** Who a bearer token speaks for. */
export interface Principal {
  kind: 'api_key' | 'oidc';
  /** Compared as GitHub compares names: case-insensitively (ledger/names.ts). */
  repositories: string[];
  /** GitHub's numeric id of the token's repository (OIDC `repository_id`), when present. */
  repositoryId?: number | undefined;
  /** OIDC claims that bind the token to one workflow run, when present. */
  runId?: number | undefined;
  runAttempt?: number | undefined;
}

/** Something that turns a bearer token into a principal (API keys, GitHub OIDC). */
export interface TokenVerifier {
  verify(token: string): Promise<Principal | null>;
}

const PREFIX_LENGTH = 12;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Keys look like `dl_<12 chars>_<secret>`: the prefix finds the stored row, the hash proves it. */
export function generateApiKey(): string {
  return `dl_${randomBytes(9).toString('base64url')}_${randomBytes(24).toString('base64url')}`;
}

function prefixOf(key: string): string | null {
  const match = /^dl_([A-Za-z0-9_-]{12})_/.exec(key);
  return match?.[1] && match[1].length === PREFIX_LENGTH ? match[1] : null;
}

export async function createApiKey(prisma: PrismaClient, repository: string): Promise<string> {
  const key = generateApiKey();
  const prefix = prefixOf(key);
  if (!prefix) throw new Error('generated API key has no prefix');
  await insertApiKey(prisma, { id: randomUUID(), repository, prefix, hash: digest(key).toString('hex') });
  return key;
}

/** `owner/repo=<key>,owner/other=<key>` from DEPLOYLEDGER_API_KEYS. */
export function parseStaticKeys(spec: string | undefined): Array<{ repository: string; hash: Buffer }> {
  if (!spec) return [];
  return spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf('=');
      const repository = entry.slice(0, at).trim();
      const key = entry.slice(at + 1).trim();
      if (at <= 0 || !/^[^/\s]+\/[^/\s]+$/.test(repository) || key.length < 16) {
        throw new Error(
          'Invalid DEPLOYLEDGER_API_KEYS entry: expected "owner/repo=<key>" with a key of at least 16 characters',
        );
      }
      return { repository, hash: digest(key) };
    });
}

/** How long a verified key is trusted without asking the database again (revocation's delay). */
export const VERIFIED_KEY_TTL_MS = 5_000;

export class ApiKeyVerifier {
  private readonly staticKeys: Array<{ repository: string; hash: Buffer }>;
  // Verified keys only, by the digest of the token: an unknown key is looked up every time, so a
  // key created a moment ago works at once, and a revoked one is refused within the TTL.
  private readonly verified = new LRUCache<string, Principal>({ max: 10_000, ttl: VERIFIED_KEY_TTL_MS });

  constructor(
    private readonly prisma: PrismaClient,
    staticSpec: string | undefined,
  ) {
    this.staticKeys = parseStaticKeys(staticSpec);
  }

  async verify(token: string): Promise<Principal | null> {
    // One-shot hex digest for the cache (every request); the bytes only when comparing.
    const cacheKey = hash('sha256', token, 'hex');
    const known = this.verified.get(cacheKey);
    if (known) return known;
    const presented = Buffer.from(cacheKey, 'hex');
    const repositories = this.staticKeys
      .filter((entry) => timingSafeEqual(entry.hash, presented))
      .map((entry) => entry.repository);
    const prefix = prefixOf(token);
    if (prefix) {
      const rows = await findLiveKeys(this.prisma, prefix);
      for (const row of rows) {
        if (timingSafeEqual(Buffer.from(row.hash, 'hex'), presented)) repositories.push(row.repository);
      }
    }
    if (repositories.length === 0) return null;
    const principal: Principal = { kind: 'api_key', repositories };
    this.verified.set(cacheKey, principal);
    return principal;
  }
}
