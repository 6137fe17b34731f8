import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

/**
 * Checks `X-Hub-Signature-256` (`sha256=` + hex HMAC-SHA256 of the raw body) against every
 * configured secret, so a secret can be rotated without losing deliveries, comparing in constant
 * time. The HMAC runs over the body's bytes as they came, once per secret: @octokit/webhooks'
 * `verify` takes the body as a string and encodes it again (a second pass over it, and a body
 * that is not valid UTF-8 could never match what GitHub signed).
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

  verify(body: Uint8Array, signature: string | undefined): boolean {
    if (!signature || !SIGNATURE.test(signature)) return false;
    const given = Buffer.from(signature.slice('sha256='.length), 'hex');
    for (const secret of this.secrets) {
      if (timingSafeEqual(createHmac('sha256', secret).update(body).digest(), given)) return true;
    }
    return false;
  }
}
