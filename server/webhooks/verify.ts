import { Webhooks } from '@octokit/webhooks';

/**
 * Checks `X-Hub-Signature-256` (HMAC-SHA256 of the raw body, constant-time compared) with
 * @octokit/webhooks' `Webhooks.verify`, against every configured secret, so a secret can be
 * rotated without losing deliveries. (`Webhooks.verify` checks its own secret only; its
 * `additionalSecrets` apply to `verifyAndReceive`, which would dispatch before we store: one
 * instance per secret keeps verify → store → acknowledge → process.)
 */
export class SignatureVerifier {
  private readonly webhooks: Webhooks[];

  constructor(secretsSpec: string | undefined) {
    this.webhooks = (secretsSpec ?? '')
      .split(',')
      .map((secret) => secret.trim())
      .filter(Boolean)
      .map((secret) => new Webhooks({ secret }));
  }

  get configured(): boolean {
    return this.webhooks.length > 0;
  }

  async verify(rawBody: string, signature: string | undefined): Promise<boolean> {
    if (!signature?.startsWith('sha256=')) return false;
    for (const webhooks of this.webhooks) {
      try {
        if (await webhooks.verify(rawBody, signature)) return true;
      } catch {
        // A malformed signature matches no secret.
      }
    }
    return false;
  }
}
