import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/** How the token endpoint misbehaves, to see the server refuse it. */
/** `short-lived`: valid for 2 s (GitHub's live minutes), so a step that waits outlives several. */
export type TokenVariant = 'valid' | 'forged' | 'expired' | 'other-repository' | 'renamed' | 'short-lived';

/** GitHub's numeric id of acme/shop, which keeps it when the repository is renamed to acme/storefront. */
export const SHOP_REPOSITORY_ID = '4242';

export interface OidcIssuer {
  /** The issuer (`iss`); its JWKS is at `<issuer>/.well-known/jwks`, as GitHub's is. */
  issuer: string;
  /** ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN for a job of run `runId`. */
  jobEnv(runId: number, runAttempt: number, variant?: TokenVariant): Record<string, string>;
  stop(): Promise<void>;
}

const KID = 'deployledger-test';

/**
 * A stand-in for GitHub's OIDC provider: serves a JWKS and the runner's token endpoint, which
 * signs GitHub-shaped claims for the audience the Action asks for.
 */
export async function startOidcIssuer(): Promise<OidcIssuer> {
  const trusted = await generateKeyPair('RS256');
  const attacker = await generateKeyPair('RS256');
  const jwks = { keys: [{ ...(await exportJWK(trusted.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] };
  const requestToken = randomBytes(16).toString('hex');
  let issuer = '';

  const server = createServer(async (incoming, outgoing) => {
    const url = new URL(incoming.url ?? '/', issuer);
    if (url.pathname === '/.well-known/jwks') {
      outgoing.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
      return;
    }
    if (url.pathname !== '/token' || incoming.headers.authorization !== `Bearer ${requestToken}`) {
      outgoing.writeHead(404).end();
      return;
    }
    const variant = (url.searchParams.get('variant') ?? 'valid') as TokenVariant;
    const now = Math.floor(Date.now() / 1000);
    const issuedAt = variant === 'expired' ? now - 3600 : now;
    const repository =
      variant === 'other-repository' ? 'acme/other' : variant === 'renamed' ? 'acme/storefront' : 'acme/shop';
    const token = await new SignJWT({
      repository,
      repository_id: variant === 'other-repository' ? '9999' : SHOP_REPOSITORY_ID,
      repository_owner: repository.split('/')[0],
      run_id: url.searchParams.get('run_id'),
      run_attempt: url.searchParams.get('run_attempt'),
      ref: 'refs/heads/main',
    })
      .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' })
      .setIssuer(issuer)
      .setSubject(`repo:${repository}:environment:production`)
      .setAudience(url.searchParams.get('audience') ?? `https://github.com/${repository.split('/')[0]}`)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt - 5)
      .setExpirationTime(issuedAt + (variant === 'short-lived' ? 2 : 300))
      .sign(variant === 'forged' ? attacker.privateKey : trusted.privateKey);
    outgoing.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: token }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    jobEnv: (runId, runAttempt, variant = 'valid') => ({
      // GitHub's URL already has a query; @actions/core appends `&audience=…`.
      ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer}/token?api-version=2.0&variant=${variant}&run_id=${runId}&run_attempt=${runAttempt}`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
