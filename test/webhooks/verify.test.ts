import { Webhooks } from '@octokit/webhooks';
import { describe, expect, it } from 'vitest';
import { SignatureVerifier } from '../../server/webhooks/verify.ts';

const body = JSON.stringify({ action: 'created', deployment: { environment: 'prod – ünïcode ✓' } });
const bytes = Buffer.from(body);
const sign = (secret: string) => new Webhooks({ secret }).sign(body);

describe('SignatureVerifier (X-Hub-Signature-256 over the raw body)', () => {
  it('accepts what GitHub (as @octokit/webhooks signs) sent with any configured secret', async () => {
    const verifier = new SignatureVerifier('new-secret, old-secret');
    expect(verifier.configured).toBe(true);
    expect(verifier.verify(bytes, await sign('new-secret'))).toBe(true);
    expect(verifier.verify(bytes, await sign('old-secret'))).toBe(true);
    expect(verifier.verify(bytes, await sign('other-secret'))).toBe(false);
  });

  it('refuses a changed body, and a signature that is not exactly sha256= and 64 lowercase hex digits', async () => {
    const verifier = new SignatureVerifier('new-secret');
    const good = await sign('new-secret');
    expect(verifier.verify(Buffer.from(body.replace('prod', 'prud')), good)).toBe(false);
    for (const bad of [
      undefined,
      '',
      good.slice('sha256='.length),
      good.toUpperCase(),
      `${good}00`,
      `${good}zz`,
      good.slice(0, -2),
      good.replace('sha256=', 'sha1='),
    ])
      expect(verifier.verify(bytes, bad)).toBe(false);
  });

  it('is not configured without a secret', () => {
    expect(new SignatureVerifier(' , ').configured).toBe(false);
    expect(new SignatureVerifier(undefined).verify(bytes, 'sha256=')).toBe(false);
  });
});
