import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubRun, runAction } from '../helpers/action.ts';
import { sample } from '../helpers/deliveries.ts';
import { ACTION_TOKEN, type Ledger, startLedger } from '../helpers/ledger.ts';

// GitHub's own sample push: head_commit 6113728f… made at 2019-05-15T15:20:41Z.
const push = sample('push', (p) => p.head_commit?.timestamp === '2019-05-15T15:20:41Z');
const PUSHED_SHA = push.head_commit.id as string;
const PUSHED_AT = '2019-05-15T15:20:41.000Z';

/** The runner's variables for `runId` triggered by `eventName`, its payload in GITHUB_EVENT_PATH. */
function triggeredBy(eventName: string, payload: unknown, runId: number, sha: string) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'deployledger-event-')), 'event.json');
  writeFileSync(file, JSON.stringify(payload));
  return { ...githubRun(runId), GITHUB_SHA: sha, GITHUB_EVENT_NAME: eventName, GITHUB_EVENT_PATH: file };
}

describe('the Action sends the deployed commit’s time (lead time for changes)', () => {
  let ledger: Ledger;
  const inputs = (environment: string, extra: Record<string, string> = {}) => ({
    'server-url': ledger.server.url,
    token: ACTION_TOKEN,
    environment,
    ...extra,
  });
  const recordOf = async (run: { outputs: Record<string, string> }) =>
    (await ledger.api.get(run.outputs['deployment-id'] as string)).body;

  beforeAll(async () => {
    ledger = await startLedger();
  });
  afterAll(async () => {
    await ledger?.stop();
  });

  it('takes head_commit.timestamp of a push event when that commit is the sha deployed', async () => {
    const run = await runAction({
      inputs: inputs('push-event'),
      env: triggeredBy('push', push, 3001, PUSHED_SHA),
    });
    expect(run.exitCode, run.log).toBe(0);
    expect(await recordOf(run)).toMatchObject({ sha: PUSHED_SHA, commit_at: PUSHED_AT });
    expect(run.summary).toContain(PUSHED_AT);
  });

  it('takes workflow_run.head_commit.timestamp when the sha input is the triggering run’s head_sha', async () => {
    const triggering = sample('workflow_run', (p) => p.workflow_run.id === 289782451);
    const headSha = triggering.workflow_run.head_sha as string;
    const run = await runAction({
      // A workflow_run-triggered job's GITHUB_SHA is the default branch's, not the run's commit.
      inputs: inputs('workflow-run-event', { sha: headSha }),
      env: triggeredBy('workflow_run', triggering, 3002, PUSHED_SHA),
    });
    expect(run.exitCode, run.log).toBe(0);
    expect(await recordOf(run)).toMatchObject({ sha: headSha, commit_at: '2020-10-05T16:32:07.000Z' });
  });

  it('lets the commit-time input win over the event file', async () => {
    const run = await runAction({
      inputs: inputs('input-wins', { 'commit-time': '2024-01-02T03:04:05+02:00' }),
      env: triggeredBy('push', push, 3003, PUSHED_SHA),
    });
    expect(run.exitCode, run.log).toBe(0);
    expect((await recordOf(run)).commit_at).toBe('2024-01-02T01:04:05.000Z');
  });

  it('ignores a head_commit that is not the sha deployed, and a pull_request event', async () => {
    const otherSha = 'b'.repeat(40);
    const elsewhere = await runAction({
      inputs: inputs('other-sha', { sha: otherSha }),
      env: triggeredBy('push', push, 3004, PUSHED_SHA),
    });
    expect(elsewhere.exitCode, elsewhere.log).toBe(0);
    expect(await recordOf(elsewhere)).toMatchObject({ sha: otherSha, commit_at: null });

    const pullRequest = sample('pull_request', (p) => p.action === 'opened');
    const headSha = pullRequest.pull_request.head.sha as string;
    const pr = await runAction({
      inputs: inputs('pull-request', { sha: headSha }),
      // Even a head_commit naming the sha is not read from a pull_request event: it has none of its own.
      env: triggeredBy(
        'pull_request',
        { ...pullRequest, head_commit: { ...push.head_commit, id: headSha } },
        3005,
        headSha,
      ),
    });
    expect(pr.exitCode, pr.log).toBe(0);
    expect((await recordOf(pr)).commit_at).toBeNull();
  });

  it('fails the step naming the input when commit-time has no offset, and records nothing', async () => {
    const run = await runAction({
      inputs: inputs('bad-time', { 'commit-time': '2024-01-02T03:04:05' }),
      env: triggeredBy('push', push, 3006, PUSHED_SHA),
    });
    expect(run.exitCode).toBe(1);
    expect(run.error).toMatch(/commit-time is "2024-01-02T03:04:05".*offset/);
    const listed = await ledger.api.list({ repository: 'acme/shop', environment: 'bad-time' });
    expect(listed.body.deployments).toEqual([]);
  });
});
