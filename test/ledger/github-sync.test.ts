import { describe, expect, it } from 'vitest';
import {
  type DeploymentRecord,
  decide,
  githubSyncJobs,
  githubSyncOf,
  NO_HISTORY,
  openRecord,
  type Signal,
} from '../../server/ledger/index.ts';
import { aRecord, aRequest } from '../helpers/records.ts';

const at = new Date('2026-12-01T10:00:00Z');
const record = (state: DeploymentRecord['state'], githubDeploymentId: number | null = null) =>
  aRecord({ state, githubDeploymentId, createdAt: at, updatedAt: at });
const signal = (source: Signal['source'], state: Signal['state'], reason?: string): Signal => ({
  source,
  state,
  at,
  reason,
});
/** The jobs a decision's github_sync effects carry. */
const jobsFor = (before: DeploymentRecord, s: Signal) =>
  githubSyncOf(decide(before, s, at)).map((job) => job.dedupeKey);

describe('which changes are posted to GitHub', () => {
  it('a record opened without a GitHub deployment gets one, and its first state unless pending', () => {
    const opened = record('in_progress');
    const decision = { record: opened, applied: true, reason: null, effects: [] };
    expect(
      githubSyncJobs({ before: null, signal: signal('action', 'in_progress'), decision }).map(
        (j) => j.dedupeKey,
      ),
    ).toEqual([`create:${opened.id}`, `status:${opened.id}:in_progress`]);
    const pending = { ...decision, record: record('pending') };
    expect(
      githubSyncJobs({ before: null, signal: signal('action', 'pending'), decision: pending }),
    ).toHaveLength(1);
  });

  it('each state reached is posted once; nothing for a late or duplicate signal', () => {
    expect(jobsFor(record('in_progress', 42), signal('action', 'success'))).toEqual([
      'status:00000000-0000-4000-8000-000000000007:success',
    ]);
    expect(jobsFor(record('success', 42), signal('k8s', 'success'))).toEqual([]);
    expect(jobsFor(record('success', 42), signal('action', 'in_progress'))).toEqual([]);
  });

  it('what came from GitHub or auto-inactive is not posted', () => {
    expect(jobsFor(record('in_progress', 42), signal('webhook', 'success'))).toEqual([]);
    expect(
      jobsFor(record('in_progress', 42), signal('reconcile', 'success', 'github_status_success')),
    ).toEqual([]);
    expect(jobsFor(record('success', 42), signal('ledger', 'inactive', 'auto_inactive'))).toEqual([]);
  });

  it('an opened record carries its jobs as github_sync effects (a delivery opens none)', () => {
    const request = aRequest();
    const id = '00000000-0000-4000-8000-000000000009';
    expect(
      githubSyncOf(openRecord(request, NO_HISTORY, id, 'action', at, at)).map((job) => job.dedupeKey),
    ).toEqual([`create:${id}`, `status:${id}:in_progress`]);
    expect(githubSyncOf(openRecord(request, NO_HISTORY, id, 'webhook', at, at))).toEqual([]);
  });
});
