import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delivery, eventually, send } from '../helpers/deliveries.ts';
import { githubAppCredentials, startGithubAppApi } from '../helpers/github-app-api.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { protectionRequest } from '../helpers/protection-payloads.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const SECRET = 'protection-webhook-secret';

describe('a protection rule decided by a server without GitHub credentials', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let github: Awaited<ReturnType<typeof startGithubAppApi>>;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    github = await startGithubAppApi();
  });
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    await db?.drop();
  });

  it('says so, with what to do, and the decision is sent once a server runs with them', async () => {
    // The stand-in's URL, as GitHub Enterprise's would be set; no App credentials.
    server = await startServer({
      DATABASE_URL: db.url,
      GITHUB_WEBHOOK_SECRET: SECRET,
      GITHUB_API_URL: github.url,
    });
    const runId = 8_101;
    const request = delivery(
      'deployment_protection_rule',
      protectionRequest({
        apiUrl: github.url,
        repository: 'acme/shop',
        environment: 'staging',
        runId,
        installationId: 801,
        githubDeploymentId: 90_101,
        sha: randomBytes(20).toString('hex'),
      }),
    );
    expect((await send(server.url, SECRET, request)).status).toBe(202);

    const said = await eventually(async () =>
      server?.logs.find((line) => line.includes('protection decision not sent')),
    );
    expect(JSON.parse(said)).toMatchObject({ level: 'error', repository: 'acme/shop', run_id: runId });
    expect(said).toContain('GITHUB_APP_ID');
    expect(said).toContain('approve or reject it in GitHub by hand');
    expect(github.reviewsOf(runId)).toEqual([]);

    await server.stop();
    server = await startServer({
      DATABASE_URL: db.url,
      GITHUB_WEBHOOK_SECRET: SECRET,
      GITHUB_API_URL: github.url,
      ...githubAppCredentials(),
    });
    const reviews = await eventually(async () => {
      const sent = github.reviewsOf(runId);
      return sent.length > 0 ? sent : undefined;
    });
    expect(reviews).toHaveLength(1);
    // The outbox's line names what it sent, for whom.
    const sent = await eventually(async () =>
      server?.logs.find((line) => line.includes('"github call done"') && line.includes('review_protection')),
    );
    expect(JSON.parse(sent)).toMatchObject({
      repository: 'acme/shop',
      environment: 'staging',
      run_id: runId,
      decision: 'approved',
    });
  });
});
