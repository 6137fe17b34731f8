import { createMiddleware } from 'hono/factory';
import type { Principal, TokenVerifier } from '../auth/api-keys.ts';
import { includesName } from '../ledger/index.ts';
import { forbidden, unauthorized } from './problem.ts';

export type AuthEnv = { Variables: { principal: Principal } };

/** Requires `Authorization: Bearer <token>` that one of the verifiers accepts. */
export function requireBearer(verifiers: TokenVerifier[]) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      throw unauthorized(
        'Send Authorization: Bearer <token> with a project API key or a GitHub Actions OIDC token.',
      );
    }
    for (const verifier of verifiers) {
      const principal = await verifier.verify(match[1]);
      if (principal) {
        c.set('principal', principal);
        return next();
      }
    }
    throw unauthorized(
      'The bearer token is not a valid API key or OIDC token. Create a key with `deployledger keys create <owner/repo>`.',
    );
  });
}

export function assertRepository(principal: Principal, repository: string): void {
  if (!includesName(principal.repositories, repository)) {
    throw forbidden(`This token is not allowed to act on ${repository}.`);
  }
}
