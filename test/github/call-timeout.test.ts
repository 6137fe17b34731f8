import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GITHUB_CALL_TIMEOUT_MS } from '../../server/github/octokit.ts';
import { createProtectionReviewer } from '../../server/github/protection.ts';

// Every call to GitHub is abandoned after 15 s (docs/webhooks.md): the outbox's tick waits for its
// calls, so one that GitHub never answers would hold every other job of the replica meanwhile.
describe('a call GitHub never answers', () => {
  let github: Server;
  let baseUrl = '';
  let received = 0;

  beforeAll(async () => {
    // Reads the request, never answers.
    github = createServer((request) => {
      received++;
      request.resume();
    });
    await new Promise<void>((resolve) => github.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(github.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    github.closeAllConnections();
    await new Promise((resolve) => github.close(resolve));
  });

  it('a protection rule review is abandoned after 15 s, as every call to GitHub is', async () => {
    const reviewer = createProtectionReviewer({ token: 'ghs_test_token' }, baseUrl);
    const started = Date.now();
    const review = reviewer.review({
      repository: 'acme/shop',
      environment: 'production',
      callbackUrl: `${baseUrl}/repos/acme/shop/actions/runs/77/deployment_protection_rule`,
      installationId: null,
      state: 'approved',
      comment: 'ok',
    });
    await expect(review).rejects.toThrow();
    const waited = Date.now() - started;
    expect(received).toBe(1);
    expect(waited).toBeGreaterThanOrEqual(GITHUB_CALL_TIMEOUT_MS - 100);
    expect(waited).toBeLessThan(GITHUB_CALL_TIMEOUT_MS + 5_000);
  }, 30_000);
});
