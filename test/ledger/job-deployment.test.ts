import { describe, expect, it } from 'vitest';
import {
  afterOurCreate,
  type DeploymentRecord,
  decide,
  githubSyncOf,
  openFromDelivery,
  openRecord,
  planCreate,
  type Signal,
} from '../../server/ledger/index.ts';
import { aRecord, aRequest } from '../helpers/records.ts';

// One GitHub deployment per run attempt and environment: the record adopts the deployment GitHub
// created for the job (lower id: it exists before any step runs), whatever arrives first.

const at = new Date('2026-12-01T10:00:00Z');
const JOB = 500;
const OURS = 900;
const record = (githubDeploymentId: number | null, state: DeploymentRecord['state'] = 'in_progress') =>
  aRecord({ state, githubDeploymentId, key: '77-1', runId: 77, runAttempt: 1, createdAt: at, updatedAt: at });
const delivery = (
  id: number,
  origin: Signal['githubDeploymentOrigin'],
  state: Signal['state'] = 'pending',
): Signal => ({ source: 'webhook', state, at, githubDeploymentId: id, githubDeploymentOrigin: origin });
const jobs = (before: DeploymentRecord, s: Signal) => githubSyncOf(decide(before, s, at));

describe("GitHub's job deployment and ours", () => {
  it('ours created first: the job deployment is adopted and ours is retired (inactive, then deleted)', () => {
    const before = record(OURS);
    const decision = decide(before, delivery(JOB, 'job'), at);
    expect(decision.record.githubDeploymentId).toBe(JOB);
    expect(githubSyncOf(decision)).toEqual([
      {
        kind: 'github.retire_deployment',
        payload: { github_deployment_id: OURS },
        dedupeKey: `retire:${before.id}:${OURS}`,
      },
    ]);
  });

  it("a status delivery of the job deployment adopts it as well (its deployment's delivery may come later)", () => {
    const decision = decide(record(OURS), delivery(JOB, 'job', 'in_progress'), at);
    expect(decision.record.githubDeploymentId).toBe(JOB);
    expect(githubSyncOf(decision).map((job) => job.kind)).toEqual(['github.retire_deployment']);
  });

  it('no GitHub deployment yet: the job deployment is taken and nothing is retired or created', () => {
    const decision = decide(record(null), delivery(JOB, 'job'), at);
    expect(decision.record.githubDeploymentId).toBe(JOB);
    expect(githubSyncOf(decision)).toEqual([]);
  });

  it('the delivery first opens the record; the Action then adopts it and asks for no GitHub deployment', () => {
    const delivered = {
      repository: 'acme/shop',
      environment: 'production',
      sha: 'a'.repeat(40),
      ref: 'main',
      marker: null,
      runId: 77,
      runAttempt: 1,
      githubDeploymentId: JOB,
      createdAt: at,
      signal: delivery(JOB, 'job'),
    };
    const plan = openFromDelivery(delivered, delivered.signal, null, 'rec-1');
    expect(plan.request).toMatchObject({ key: '77-1', githubDeploymentId: JOB });
    const opened = openRecord(plan.request, '00000000-0000-4000-8000-00000000000a', 'webhook', at, at);
    expect(githubSyncOf(opened)).toEqual([]);
    const request = { ...aRequest({ key: '77-1', runId: 77, runAttempt: 1 }), supersede: false };
    const adopt = planCreate(request, opened.record, null);
    expect(adopt.kind).toBe('adopt');
    const started = decide(opened.record, { source: 'action', state: 'in_progress', at }, at);
    expect(started.record.githubDeploymentId).toBe(JOB);
    expect(githubSyncOf(started).map((job) => job.kind)).toEqual(['github.create_status']);
  });

  it('the adopted deployment stays: our own deployment, another job deployment (matrix), or someone else', () => {
    const adopted = record(JOB);
    for (const s of [delivery(OURS, 'ours'), delivery(JOB + 7, 'job'), delivery(JOB - 7, 'other')]) {
      expect(decide(adopted, s, at).record.githubDeploymentId).toBe(JOB);
      expect(jobs(adopted, s)).toEqual([]);
    }
    // The oldest job deployment wins, whichever of two arrives first.
    expect(decide(record(JOB + 7), delivery(JOB, 'job'), at).record.githubDeploymentId).toBe(JOB);
  });

  it("what GitHub says of our replaced deployment (the inactive we post) never changes the record's state", () => {
    const adopted = record(JOB);
    const inactive = decide(adopted, delivery(OURS, 'ours', 'inactive'), at);
    expect(inactive).toMatchObject({ applied: false, reason: 'replaced' });
    expect(inactive.record.state).toBe('in_progress');
    // The job deployment's own statuses still count.
    expect(decide(adopted, delivery(JOB, 'job', 'success'), at)).toMatchObject({ applied: true });
    // Ours, still the record's own, counts as before.
    expect(decide(record(OURS), delivery(OURS, 'ours', 'success'), at).applied).toBe(true);
  });

  it('statuses posted after adoption go to the adopted deployment, in order', () => {
    const adopted = decide(record(OURS), delivery(JOB, 'job'), at).record;
    const success = decide(adopted, { source: 'k8s', state: 'success', at }, at);
    expect(success.record.githubDeploymentId).toBe(JOB);
    expect(githubSyncOf(success).map((job) => [job.kind, job.payload.state])).toEqual([
      ['github.create_status', 'success'],
    ]);
  });

  it('our create lost the race to an adoption while in flight: keep the job deployment, retire ours', () => {
    expect(afterOurCreate(JOB, OURS)).toEqual({ kept: JOB, retire: true });
    expect(afterOurCreate(OURS, OURS)).toEqual({ kept: OURS, retire: false });
    expect(afterOurCreate(null, OURS)).toEqual({ kept: OURS, retire: false });
  });

  it('`github_deployment: false`: the opened record asks for no GitHub deployment of ours, only its statuses', () => {
    const id = '00000000-0000-4000-8000-00000000000b';
    const kinds = (githubDeployment: boolean | undefined) =>
      githubSyncOf(
        openRecord(aRequest({ state: 'in_progress', githubDeployment }), id, 'action', at, at),
      ).map((job) => job.kind);
    expect(kinds(false)).toEqual(['github.create_status']);
    expect(kinds(undefined)).toEqual(['github.create_deployment', 'github.create_status']);
  });
});
