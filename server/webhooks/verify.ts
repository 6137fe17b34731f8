import { verifyWithFallback } from '@octokit/webhooks-methods';

/**
 * Checks `X-Hub-Signature-256` (HMAC-SHA256 of the raw body, constant-time compared) against
 * every configured secret, so a secret can be rotated without losing deliveries.
 */
export class SignatureVerifier {
  private readonly secrets: string[];

  constructor(secretsSpec: string | undefined) {
    this.secrets = (secretsSpec ?? '')
      .split(',')
      .map((secret) => secret.trim())
      .filter(Boolean);
  }

  get configured(): boolean {
    return this.secrets.length > 0;
  }

  async verify(rawBody: string, signature: string | undefined): Promise<boolean> {
    const [first, ...rest] = this.secrets;
    if (!first || !signature?.startsWith('sha256=')) return false;
    try {
      return Boolean(await verifyWithFallback(first, rawBody, signature, rest));
    } catch {
      return false;
    }
  }
}
