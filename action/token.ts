import * as core from '@actions/core';

export interface BearerToken {
  auth: 'api_key' | 'oidc';
  /** The token to send now: an OIDC token is requested again shortly before it expires. */
  current(): Promise<string>;
}

// GitHub's OIDC tokens live minutes; a step that waits for its rollout (wait-timeout: 15 minutes
// by default) or retries for long outlives one, so it is renewed with this much time left.
const RENEW_WITH_S_LEFT = 60;
// A token whose `exp` cannot be read is renewed this long after it was issued to us.
const RENEW_UNREADABLE_AFTER_S = 240;

/** The API key when one is given, else OIDC tokens GitHub issues for this job. */
export async function obtainToken(apiKey: string | undefined, audience: string): Promise<BearerToken> {
  if (apiKey) return { auth: 'api_key', current: async () => apiKey };
  if (!process.env.ACTIONS_ID_TOKEN_REQUEST_URL) {
    throw new Error(
      'No token input and no OIDC token available. Add `permissions: id-token: write` to the job, ' +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, shown as is
        'or pass an API key: `token: ${{ secrets.DEPLOYLEDGER_TOKEN }}`.',
    );
  }
  let token = await requestIdToken(audience);
  return {
    auth: 'oidc',
    async current() {
      if (Date.now() / 1000 >= token.renewAt) token = await requestIdToken(audience);
      return token.value;
    },
  };
}

async function requestIdToken(audience: string): Promise<{ value: string; renewAt: number }> {
  const requestedAt = Date.now() / 1000;
  let value: string;
  try {
    value = await core.getIDToken(audience);
  } catch (error) {
    throw new Error(
      `GitHub did not issue an OIDC token for audience "${audience}" (${(error as Error).message.trim()}). ` +
        'Check `permissions: id-token: write`, or pass an API key as the token input.',
    );
  }
  const expires = expiryOf(value);
  return {
    value,
    renewAt: expires === undefined ? requestedAt + RENEW_UNREADABLE_AFTER_S : expires - RENEW_WITH_S_LEFT,
  };
}

/** The JWT's `exp` claim (seconds since the epoch), read without verifying: only to know when to renew. */
function expiryOf(jwt: string): number | undefined {
  try {
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as {
      exp?: unknown;
    };
    return typeof claims.exp === 'number' ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}
