import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, REPOSITORY, startCluster } from './harness.ts';
import {
  actionStep,
  githubSide,
  type Json,
  keyOf,
  newRun,
  type Run,
  readRecord,
  recordsOf,
  until,
} from './producers.ts';
import { stats } from './stats.ts';

// A job with `environment:` gets a GitHub deployment from GitHub itself. Whatever arrives first —
// that deployment's delivery, the Action's start, our own create — GitHub ends with one deployment
// for the run attempt and environment: the job's, holding our statuses in order.

const RANK: Record<string, number> = { pending: 0, queued: 1, in_progress: 2, success: 3 };

describe("e2e: one GitHub deployment per job with `environment:` (GitHub's job deployment adopted)", () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ watch: false });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const startJob = (run: Run) =>
    cluster.github.startJob(REPOSITORY, {
      sha: run.sha,
      environment: run.environment,
      runId: run.runId,
      runAttempt: run.attempt,
    });
  const ourCreates = (run: Run) =>
    cluster.github.calls.filter(
      (call) =>
        call.method === 'POST' && call.path === '/repos/acme/shop/deployments' && call.body?.ref === run.sha,
    );
  const deleted = (githubId: number) =>
    cluster.github.calls.some(
      (call) =>
        call.method === 'DELETE' &&
        call.path === `/repos/acme/shop/deployments/${githubId}` &&
        call.status === 204,
    );

  /** The Action reports success, the job ends (GitHub posts its own success), everything settles. */
  async function finish(run: Run, id: string, jobDeploymentId: number) {
    const finished = await actionStep(cluster, run, 'success', 1);
    expect(finished.exitCode, finished.log).toBe(0);
    expect(finished.outputs).toMatchObject({ 'deployment-id': id, state: 'success' });
    cluster.github.addStatus(jobDeploymentId, { state: 'success' });
    await cluster.drained();
  }

  /** Exactly one GitHub deployment for the run attempt — the job's — with its statuses in order. */
  async function expectOneGithubDeployment(run: Run, id: string, jobDeploymentId: number) {
    const listed = (await (
      await fetch(`${cluster.github.url}/repos/${REPOSITORY}/deployments?environment=${run.environment}`, {
        headers: { authorization: 'token e2e' },
      })
    ).json()) as Json[];
    expect(listed.filter((d) => d.sha === run.sha).map((d) => d.id)).toEqual([jobDeploymentId]);
    const [side] = githubSide(cluster, run.environment);
    const states = side!.states;
    expect(states[0]).toBe('in_progress');
    expect(states.at(-1)).toBe('success');
    expect(states.map((state) => RANK[state])).toEqual(states.map((state) => RANK[state]).sort());
    // Our success went to the job's deployment.
    const ourStatuses = cluster.github.calls.filter(
      (call) =>
        call.method === 'POST' && call.path === `/repos/acme/shop/deployments/${jobDeploymentId}/statuses`,
    );
    expect(ourStatuses.map((call) => call.body?.state)).toContain('success');

    const records = await recordsOf(cluster, run.environment);
    expect(records).toHaveLength(1);
    const record = await readRecord(cluster, id);
    expect(record).toMatchObject({
      key: keyOf(run),
      state: 'success',
      github_deployment_id: jobDeploymentId,
    });
    const check = await cluster.check();
    expect(check.code, check.stdout).toBe(0);
    return record;
  }

  it('job deployment delivery → Action start: the record opened from the delivery is adopted; we create none', async () => {
    stats.scenarios++;
    const run = newRun(9101, 'jobs-delivery-first');
    const job = startJob(run);
    const opened = await until(
      'the delivery to open the record',
      async () => (await recordsOf(cluster, run.environment))[0],
    );
    expect(opened).toMatchObject({ key: keyOf(run), github_deployment_id: job.id });

    const started = await actionStep(cluster, run, 'start', 0);
    expect(started.exitCode, started.log).toBe(0);
    expect(started.outputs['deployment-id']).toBe(opened.id);
    await finish(run, opened.id, job.id);

    await expectOneGithubDeployment(run, opened.id, job.id);
    expect(ourCreates(run)).toEqual([]);
  }, 60_000);

  it('Action start → job deployment delivery while our create is in flight → ours created anyway, then inactive and deleted', async () => {
    stats.scenarios++;
    const run = newRun(9102, 'jobs-action-first');
    cluster.echo.hold((deployment) => deployment.sha === run.sha);
    const job = startJob(run);
    const releaseCreates = cluster.github.holdCreates();
    const started = await actionStep(cluster, run, 'start', 0);
    expect(started.exitCode, started.log).toBe(0);
    const id = started.outputs['deployment-id'] as string;

    await until('our create to be in flight', async () => cluster.github.waitingCreates() === 1);
    cluster.echo.release();
    await until('the record to adopt the job deployment', async () => {
      return (await readRecord(cluster, id)).github_deployment_id === job.id;
    });
    releaseCreates();
    // Our create answers after the adoption: the one it made is marked inactive, then deleted.
    const oursId = await until('ours to be created, then deleted', async () => {
      const created = (await readRecord(cluster, id)).events.find(
        (e: Json) => e.reason === 'github_deployment_created',
      );
      const githubId = created?.detail.github_deployment_id as number | undefined;
      return githubId !== undefined && deleted(githubId) && githubId;
    });
    expect(ourCreates(run)).toHaveLength(1);
    expect(cluster.github.statuses.filter((s) => s.deployment_id === oursId).map((s) => s.state)).toEqual([
      'inactive',
    ]);
    await finish(run, id, job.id);

    const record = await expectOneGithubDeployment(run, id, job.id);
    const retired = record.events.find((e: Json) => e.reason === 'github_deployment_retired');
    expect(retired?.detail).toMatchObject({ github_deployment_id: oursId, replaced_by: job.id });
  }, 60_000);

  it('Action start → our create → job deployment delivery: ours is marked inactive and deleted, the job deployment adopted', async () => {
    stats.scenarios++;
    const run = newRun(9103, 'jobs-ours-first');
    cluster.echo.hold(
      (deployment) => deployment.sha === run.sha && deployment.payload?.deployledger === undefined,
    );
    const job = startJob(run);
    const started = await actionStep(cluster, run, 'start', 0);
    expect(started.exitCode, started.log).toBe(0);
    const id = started.outputs['deployment-id'] as string;
    const oursId = await until('ours to be created with its in_progress status', async () => {
      const record = await readRecord(cluster, id);
      const side = githubSide(cluster, run.environment).find(
        (s) => s.deployment.id === record.github_deployment_id,
      );
      return side?.states.includes('in_progress') && (record.github_deployment_id as number);
    });
    expect(oursId).not.toBe(job.id);

    cluster.echo.release();
    await until('the record to adopt the job deployment', async () => {
      return (await readRecord(cluster, id)).github_deployment_id === job.id;
    });
    await until('ours to be deleted', async () => deleted(oursId));
    const oursStatuses = cluster.github.statuses
      .filter((s) => s.deployment_id === oursId)
      .map((s) => s.state);
    expect(oursStatuses).toEqual(['in_progress', 'inactive']);
    await finish(run, id, job.id);

    const record = await expectOneGithubDeployment(run, id, job.id);
    // What GitHub said of ours after it was replaced (our own inactive) did not end the record.
    const applied = record.events.filter((e: Json) => e.applied && e.state).map((e: Json) => e.state);
    expect(applied).not.toContain('inactive');
  }, 60_000);

  it('`deployment: false`, Action start before the job deployment delivery: we create none; statuses go to the job deployment once adopted', async () => {
    stats.scenarios++;
    const run = newRun(9104, 'jobs-no-deployment');
    cluster.echo.hold((deployment) => deployment.sha === run.sha);
    const job = startJob(run);
    const started = await actionStep(cluster, run, 'start', 0, { deployment: 'false' });
    expect(started.exitCode, started.log).toBe(0);
    const id = started.outputs['deployment-id'] as string;
    // Nowhere to post in_progress yet: the job's deployment shows GitHub's own.
    await until('the in_progress status to be skipped', async () => {
      const record = await readRecord(cluster, id);
      return record.events.some((e: Json) => e.reason === 'github_status_skipped');
    });

    cluster.echo.release();
    await until('the record to adopt the job deployment', async () => {
      return (await readRecord(cluster, id)).github_deployment_id === job.id;
    });
    await finish(run, id, job.id);

    await expectOneGithubDeployment(run, id, job.id);
    expect(ourCreates(run)).toEqual([]);
  }, 60_000);
});
