import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../helpers/postgres.ts';
import { type Cluster, REPOSITORY, SILENT_ENVIRONMENT, startCluster } from './harness.ts';
import {
  actionStep,
  environmentUrl,
  githubSide,
  type Json,
  keyOf,
  newRun,
  readRecord,
  recordsOf,
  until,
  workflowRunCompleted,
} from './producers.ts';
import { stats } from './stats.ts';

const HOOK_ID = 4711;
/** Short, so the test waits little; the assertion is "within one interval" all the same. */
const RECOVERY_INTERVAL_S = 8;
/** GitHub's timestamps have whole seconds. */
const githubTime = (date = new Date()) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * GitHub delivers once, through the repository's webhook, and logs what failed; it never sends
 * a failed delivery again. The replicas read that log (DEPLOYLEDGER_GITHUB_HOOKS) at start and
 * every interval, and ask GitHub before the sweeper times a record out.
 */
describe('e2e: deliveries missed while the server was down (GitHub does not send them again)', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({
      watch: false,
      hookId: HOOK_ID,
      env: { DEPLOYLEDGER_RECOVERY_INTERVAL_S: String(RECOVERY_INTERVAL_S) },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const hook = () => {
    if (!cluster.hook) throw new Error('the cluster has no hook');
    return cluster.hook;
  };
  /** Every replica stopped as an upgrade stops it (SIGTERM). */
  const stopServers = async () => {
    for (const replica of cluster.replicas) await replica.stop();
    expect(cluster.live()).toHaveLength(0);
  };
  /** Both replicas started again (new processes, same database); resolves once both listen. */
  const startServers = async () => {
    await Promise.all(cluster.replicas.map((_, index) => cluster.restartReplica(index, false)));
    hook().target = cluster.replicas[0]?.url ?? null;
    return Date.now();
  };

  it('the Action gives up while the server is down, GitHub logs every delivery as failed; after the start, recovery makes the record success at GitHub’s time, once', async () => {
    stats.scenarios++;
    const run = newRun(7301, 'production');
    await stopServers();

    // Why this sequence: the Action retries with backoff (5 attempts, about 1+2+4+8 s), so an
    // outage shorter than that is simply waited out (test/action/retries.test.ts) and nothing is
    // missed. What loses deliveries is an outage longer than the job: the Action's steps give up
    // (a workflow that must not block its deploys on the ledger marks them
    // `continue-on-error: true`), the job deploys anyway, and GitHub — which created the
    // deployment for the job's `environment:` — delivers its deployment, statuses and the
    // completed run to a server that is not there.
    const deployment = cluster.github.addDeployment(REPOSITORY, {
      sha: run.sha,
      environment: run.environment,
      workflowRun: { id: run.runId, run_attempt: run.attempt },
    });
    cluster.github.addStatus(deployment.id, { state: 'in_progress', created_at: githubTime() });
    const started = await actionStep(cluster, run, 'start', 0);
    expect(started.exitCode, started.log).not.toBe(0);
    expect(started.log).toMatch(/gave up after 5 attempts/);

    // The rollout completes; the job ends: GitHub marks the deployment success, the Action's
    // final step fails like the first, and the run completes.
    const doneAt = githubTime(new Date(Date.now() - 1000));
    cluster.github.addStatus(deployment.id, {
      state: 'success',
      environment_url: environmentUrl(run),
      created_at: doneAt,
    });
    const finished = await actionStep(cluster, run, 'success', 0);
    expect(finished.exitCode, finished.log).not.toBe(0);
    await cluster.webhook.deliver(workflowRunCompleted(run, 'success', new Date(doneAt)));
    await cluster.echo.idle();
    const missed = hook().log.filter((attempt) => attempt.request.payload.workflow_run?.id === run.runId);
    expect(missed.map((attempt) => attempt.event).sort()).toEqual([
      'deployment',
      'deployment_status',
      'deployment_status',
      'workflow_run',
    ]);
    for (const attempt of missed)
      expect(attempt).toMatchObject({ status: 'failed to connect', status_code: 0 });

    const listening = await startServers();
    const ended = await until(
      'the record to be success',
      async () => {
        const [record] = await recordsOf(cluster, run.environment);
        return record?.state === 'success' && record;
      },
      RECOVERY_INTERVAL_S * 1000,
    );
    const recoveredWithin = Date.now() - listening;
    expect(recoveredWithin).toBeLessThan(RECOVERY_INTERVAL_S * 1000);
    expect(ended).toMatchObject({
      key: keyOf(run),
      sha: run.sha,
      run_id: run.runId,
      github_deployment_id: deployment.id,
      deployed_at: new Date(doneAt).toISOString(),
      environment_url: environmentUrl(run),
    });
    await cluster.drained();

    // Nothing applied twice: each missed delivery stored once (one replica recovered it), on the
    // timeline at most once, and `success` applied once; no second GitHub deployment.
    const guids = missed.map((attempt) => attempt.guid);
    const stored = await query<{ delivery_id: string }>(
      cluster.db.url,
      'SELECT delivery_id FROM webhook_delivery WHERE delivery_id = ANY($1)',
      [guids],
    );
    expect(stored.map((row) => row.delivery_id).sort()).toEqual([...guids].sort());
    const recoveredLines = cluster.replicas
      .flatMap((replica) => replica.logs)
      .filter((line) => line.includes('delivery recovered from the hook log'));
    expect(recoveredLines).toHaveLength(4);
    expect([...new Set(hook().fetched)]).toHaveLength(hook().fetched.length);
    const record = await readRecord(cluster, ended.id);
    for (const guid of guids) {
      expect(record.events.filter((e: Json) => e.detail?.delivery_id === guid).length).toBeLessThanOrEqual(1);
    }
    expect(record.events.filter((e: Json) => e.applied && e.state === 'success')).toHaveLength(1);
    expect(await recordsOf(cluster, run.environment)).toHaveLength(1);
    expect(githubSide(cluster, run.environment)).toHaveLength(1);

    // Another interval: the log is read again and nothing is recovered or applied again.
    await new Promise((resolve) => setTimeout(resolve, RECOVERY_INTERVAL_S * 1000 + 1000));
    await cluster.drained();
    const later = await readRecord(cluster, ended.id);
    expect(later.events).toHaveLength(record.events.length);
    expect(
      cluster.replicas
        .flatMap((replica) => replica.logs)
        .filter((line) => line.includes('delivery recovered from the hook log')),
    ).toHaveLength(4);

    const check = await cluster.check();
    expect(check.code, check.stdout).toBe(0);
  });

  it('the deliveries are gone from the log (older than GitHub keeps them): the sweeper asks GitHub, and the record ends as the run ended, not timed_out', async () => {
    stats.scenarios++;
    // Environment `silent` times out after 3 s in the harness, so the sweeper gets to it at once.
    const run = newRun(7302, SILENT_ENVIRONMENT);
    const started = await actionStep(cluster, run, 'start', 0);
    expect(started.exitCode, started.log).toBe(0);
    const id = started.outputs['deployment-id'] as string;
    await until('the GitHub deployment and its in_progress status', async () => {
      const [side] = githubSide(cluster, run.environment);
      return side?.states.length === 1;
    });
    await cluster.drained();

    await stopServers();
    const doneAt = githubTime(new Date(Date.now() - 1000));
    cluster.github.setRunAttempt(REPOSITORY, run.runId, run.attempt, {
      status: 'completed',
      conclusion: 'success',
      head_sha: run.sha,
      updated_at: doneAt,
    });
    const finished = await actionStep(cluster, run, 'success', 0);
    expect(finished.exitCode, finished.log).not.toBe(0);
    await cluster.webhook.deliver(workflowRunCompleted(run, 'success', new Date(doneAt)));
    const lost = hook().log.filter(
      (attempt) => attempt.event === 'workflow_run' && attempt.request.payload.workflow_run?.id === run.runId,
    );
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ status: 'failed to connect' });
    // The server stays down longer than GitHub keeps deliveries (3 days on github.com).
    hook().forget(lost.map((attempt) => attempt.guid));

    await startServers();
    const ended = await until('the record to end', async () => {
      const record = await readRecord(cluster, id);
      return record.completed_at && record;
    });
    expect(ended).toMatchObject({ state: 'success', deployed_at: new Date(doneAt).toISOString() });
    const ending = ended.events.filter((e: Json) => e.applied && e.state === 'success');
    expect(ending).toHaveLength(1);
    expect(ending[0]).toMatchObject({ source: 'reconcile' });
    expect(ended.events.some((e: Json) => e.reason === 'timed_out')).toBe(false);
    // The lost delivery was not recovered from anywhere: the reconciler is what ended it.
    const stored = await query(cluster.db.url, 'SELECT 1 FROM webhook_delivery WHERE delivery_id = $1', [
      lost[0]?.guid,
    ]);
    expect(stored).toHaveLength(0);

    await cluster.drained();
    const check = await cluster.check();
    expect(check.code, check.stdout).toBe(0);
  });
});
