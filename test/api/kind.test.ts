import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../helpers/api.ts';
import { eventually, send } from '../helpers/deliveries.ts';
import { deploymentDelivery, deploymentStatusDelivery } from '../helpers/github-echo.ts';
import { startServerWithGithub } from '../helpers/server-with-github.ts';

const TOKEN = 'test-key-kind-0123456789';
const SECRET = 'kind-webhook-secret';
const REPOSITORY = 'acme/kinds';
const sha = (letter: string) => letter.repeat(40);
// main: A → B → C; a hotfix branch from B: D (diverged from C).
const [A, B, C, D] = ['a', 'b', 'c', 'd'].map(sha) as [string, string, string, string];
// Deployed, but unknown to GitHub (a commit since force-pushed away).
const GONE = sha('e');

describe('a deployment’s kind: forward, redeploy, rollback', () => {
  let setup: Awaited<ReturnType<typeof startServerWithGithub>>;
  let run = 100;
  const api = () => apiClient(setup.server.url, TOKEN);
  const github = () => setup.github;

  /** Deploys `commit` to `environment` through the API, to success; answers the created record. */
  async function deploy(commit: string, environment = 'production') {
    run += 1;
    const created = await api().create(`${run}-1`, { repository: REPOSITORY, environment, sha: commit });
    expect(created.status).toBe(201);
    expect((await api().status(created.body.id, { state: 'success' })).status).toBe(200);
    return created.body;
  }

  /**
   * The record once its timeline shows `reason`, read again after that: one GET reads the record
   * and its timeline one after the other, so the kind written just before the note may be missing
   * from the read that first shows the note.
   */
  const compared = async (id: string, reason: string) => {
    await eventually(async () => {
      const { body } = await api().get(id);
      return body.events.some((event: { reason: string }) => event.reason === reason) ? true : undefined;
    });
    return (await api().get(id)).body;
  };

  beforeAll(async () => {
    setup = await startServerWithGithub({
      DEPLOYLEDGER_API_KEYS: `${REPOSITORY}=${TOKEN}`,
      GITHUB_WEBHOOK_SECRET: SECRET,
    });
    setup.github.addCommits(REPOSITORY, [A, B, C]);
    setup.github.addCommits(REPOSITORY, [D], B);
  });
  afterAll(() => setup.stop());

  it('is forward for new shas and redeploy for the current sha again, in POST, GET and the list', async () => {
    expect((await deploy(A)).kind).toBe('forward');
    expect((await deploy(B)).kind).toBe('forward');
    const again = await deploy(B.toUpperCase());
    expect(again.kind).toBe('redeploy');
    expect((await api().get(again.id)).body.kind).toBe('redeploy');
    const list = await api().list({ repository: REPOSITORY, environment: 'production', limit: '3' });
    expect(list.body.deployments.map((item: { kind: string }) => item.kind)).toEqual([
      'redeploy',
      'forward',
      'forward',
    ]);
    // Another environment has its own history: B is new there.
    expect((await deploy(B, 'staging')).kind).toBe('forward');
  });

  it('is rollback for an earlier release that is an ancestor of the current one, as GitHub confirms', async () => {
    await deploy(C);
    const back = await deploy(B);
    expect(back.kind).toBe('rollback');
    const checked = await compared(back.id, 'kind_compared');
    expect(checked.kind).toBe('rollback');
    const call = github().calls.find((c) => c.path === `/repos/${REPOSITORY}/compare/${C}...${B}`);
    expect(call?.status).toBe(200);
  });

  it('turns a rollback by the database into forward when GitHub says the sha is ahead or diverged', async () => {
    // B is current; C was deployed before: by the database alone a rollback, but C is ahead of B.
    const ahead = await deploy(C);
    expect(ahead.kind).toBe('rollback');
    expect((await compared(ahead.id, 'kind_compared')).kind).toBe('forward');

    await deploy(D); // forward: never deployed here
    const diverged = await deploy(C); // C succeeded before, but is not an ancestor of D
    expect(diverged.kind).toBe('rollback');
    expect((await compared(diverged.id, 'kind_compared')).kind).toBe('forward');
  });

  it('keeps the database’s kind when GitHub cannot compare (unknown commit), and says why', async () => {
    await deploy(GONE);
    await deploy(A);
    const back = await deploy(GONE);
    const failed = await compared(back.id, 'kind_compare_failed');
    expect(failed.kind).toBe('rollback');
    const note = failed.events.find((event: { reason: string }) => event.reason === 'kind_compare_failed');
    expect(note.detail.reason).toMatch(/404/);
  });

  it('keeps the database’s kind on a 403; retries a rate limit and refines the kind once GitHub answers', async () => {
    // A is current; B succeeded before and is its ancestor... after a refused compare, still rollback.
    github().failNextCompare({ status: 403, message: 'Resource not accessible by integration' });
    const refused = await deploy(B);
    const failed = await compared(refused.id, 'kind_compare_failed');
    expect(failed.kind).toBe('rollback');

    // B is current; C succeeded before and is ahead of B: forward, once the rate limit has passed.
    const reset = String(Math.floor(Date.now() / 1000) + 1);
    github().failNextCompare({
      status: 403,
      message: 'API rate limit exceeded',
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
    });
    const before = github().calls.length;
    const limited = await deploy(C);
    expect(limited.kind).toBe('rollback');
    expect((await compared(limited.id, 'kind_compared')).kind).toBe('forward');
    const calls = github()
      .calls.slice(before)
      .filter((c) => c.path === `/repos/${REPOSITORY}/compare/${B}...${C}`);
    expect(calls.map((c) => c.status)).toEqual([403, 200]);

    // C is current; B again: a secondary rate limit (403, Retry-After, requests left) is retried too.
    github().failNextCompare({
      status: 403,
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      headers: { 'retry-after': '1', 'x-ratelimit-remaining': '4000' },
    });
    const beforeSecondary = github().calls.length;
    const secondary = await deploy(B);
    expect((await compared(secondary.id, 'kind_compared')).kind).toBe('rollback');
    const secondaryCalls = github()
      .calls.slice(beforeSecondary)
      .filter((c) => c.path === `/repos/${REPOSITORY}/compare/${C}...${B}`);
    expect(secondaryCalls.map((c) => c.status)).toEqual([403, 200]);
  });

  it('gives a record a webhook delivery opens its kind too (a deployment made in GitHub, not by us)', async () => {
    await deploy(A, 'webhooked');
    await deploy(C, 'webhooked');
    // Someone redeploys A from GitHub's UI: GitHub's deployment, then its success, delivered to us.
    const theirs = github().addDeployment(REPOSITORY, { sha: A, environment: 'webhooked' });
    const status = { id: 99_001, state: 'success', created_at: new Date().toISOString() };
    expect((await send(setup.server.url, SECRET, deploymentDelivery(theirs))).status).toBe(202);
    expect((await send(setup.server.url, SECRET, deploymentStatusDelivery(theirs, status))).status).toBe(202);
    const opened = await eventually(async () => {
      const list = await api().list({ repository: REPOSITORY, environment: 'webhooked' });
      const record = list.body.deployments.find((r: { key: string }) => r.key === `gh-${theirs.id}`);
      return record?.state === 'success' ? record : undefined;
    });
    expect(opened.kind).toBe('rollback');
    // A is an ancestor of C: GitHub confirms it.
    expect((await compared(opened.id, 'kind_compared')).kind).toBe('rollback');
  });
});
