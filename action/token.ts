import * as core from '@actions/core';

export interface BearerToken {
  value: string;
  auth: 'api_key' | 'oidc';
}

/** The API key when one is given, else an OIDC token GitHub issues for this job. */
export async function obtainToken(apiKey: string | undefined, audience: string): Promise<BearerToken> {
  if (apiKey) return { value: apiKey, auth: 'api_key' };
  if (!process.env.ACTIONS_ID_TOKEN_REQUEST_URL) {
    throw new Error(
      'No token input and no OIDC token available. Add `permissions: id-token: write` to the job, ' +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, shown as is
        'or pass an API key: `token: ${{ secrets.DEPLOYLEDGER_TOKEN }}`.',
    );
  }
  try {
    return { value: await core.getIDToken(audience), auth: 'oidc' };
  } catch (error) {
    throw new Error(
      `GitHub did not issue an OIDC token for audience "${audience}" (${(error as Error).message.trim()}). ` +
        'Check `permissions: id-token: write`, or pass an API key as the token input.',
    );
  }
}
