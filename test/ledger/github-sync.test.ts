import { describe, expect, it } from 'vitest';
import { type DeploymentRecord, decide, githubSyncJobs, type Signal } from '../../server/ledger/index.ts';

const at = new Date('2026-12-01T10:00:00Z');
const record = (
  state: DeploymentRecord['state'],
  githubDeploymentId: number | null = null,
): DeploymentRecord => ({
  id: '00000000-0000-4000-8000-000000000007',
  repository: 'acme/shop',
  environment: 'prod',
  key: '7-1',
  sha: 'a'.repeat(40),
  ref: null,
  state,
  runId: 7,
  runAttempt: 1,
  githubDeploymentId,
  k8s: null,
  environmentUrl: null,
  logUrl: null,
  description: null,
  metricsEndpoint: null,
  fingerprint: 'f',
  commitAt: null,
  createdAt: at,
  startedAt: null,
  deployedAt: null,
  completedAt: null,
  updatedAt: at,
});
const signal = (source: Signal['source'], state: Signal['state'], reason?: string): Signal => ({
  source,
  state,
  at,
  reason,
});
const jobsFor = (before: DeploymentRecord, s: Signal, sync = true) =>
  githubSyncJobs(sync, { before, signal: s, decision: decide(before, s, at) }).map((job) => job.dedupeKey);

describe('which changes are posted to GitHub', () => {
  it('a record opened without a GitHub deployment gets one, and its first state unless pending', () => {
    const opened = record('in_progress');
    const decision = { record: opened, applied: true, reason: null, effects: [] };
    expect(
      githubSyncJobs(true, { before: null, signal: signal('action', 'in_progress'), decision }).map(
        (j) => j.dedupeKey,
      ),
    ).toEqual([`create:${opened.id}`, `status:${opened.id}:in_progress`]);
    const pending = { ...decision, record: record('pending') };
    expect(
      githubSyncJobs(true, { before: null, signal: signal('action', 'pending'), decision: pending }),
    ).toHaveLength(1);
  });

  it('each state reached is posted once; nothing for a late or duplicate signal', () => {
    expect(jobsFor(record('in_progress', 42), signal('action', 'success'))).toEqual([
      'status:00000000-0000-4000-8000-000000000007:success',
    ]);
    expect(jobsFor(record('success', 42), signal('k8s', 'success'))).toEqual([]);
    expect(jobsFor(record('success', 42), signal('action', 'in_progress'))).toEqual([]);
  });

  it('what came from GitHub, auto-inactive, or with the sync off is not posted', () => {
    expect(jobsFor(record('in_progress', 42), signal('webhook', 'success'))).toEqual([]);
    expect(jobsFor(record('success', 42), signal('ledger', 'inactive', 'auto_inactive'))).toEqual([]);
    expect(jobsFor(record('in_progress', 42), signal('action', 'success'), false)).toEqual([]);
  });
});
