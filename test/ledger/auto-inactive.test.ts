import { describe, expect, it } from 'vitest';
import {
  autoInactive,
  type DeliveredDeployment,
  type DeploymentRecord,
  type NewDeployment,
  NO_HISTORY,
  openFromDelivery,
  openRecord,
} from '../../server/ledger/index.ts';
import { aRecord } from '../helpers/records.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 10, minute));
const success = (id: string, createdMinute: number): DeploymentRecord =>
  aRecord({
    id,
    key: id,
    state: 'success',
    runId: null,
    runAttempt: null,
    createdAt: at(createdMinute),
    deployedAt: at(createdMinute),
    completedAt: at(createdMinute),
    updatedAt: at(createdMinute),
  });

describe('auto-inactive: a success retires the older successes of its environment', () => {
  it('retires every older success, superseded by the one that succeeded', () => {
    const steps = autoInactive(success('new', 5), [success('b', 3), success('a', 1)], at(6));
    expect(steps.map((step) => step.record.id)).toEqual(['b', 'a']);
    for (const step of steps) {
      expect(step.signal).toMatchObject({
        source: 'ledger',
        state: 'inactive',
        reason: 'auto_inactive',
        at: at(6),
        detail: { superseded_by: 'new' },
      });
    }
  });

  it('a late success, when a newer success exists, goes inactive itself and retires nothing', () => {
    const steps = autoInactive(success('late', 2), [success('newest', 4), success('old', 1)], at(6));
    expect(steps).toEqual([
      {
        record: expect.objectContaining({ id: 'late' }),
        signal: expect.objectContaining({ reason: 'auto_inactive', detail: { superseded_by: 'newest' } }),
      },
    ]);
  });
});

const delivered = (
  createdMinute: number,
  state: DeliveredDeployment['signal']['state'],
): DeliveredDeployment => ({
  repository: 'acme/shop',
  environment: 'prod',
  sha: 'b'.repeat(40),
  ref: 'main',
  marker: null,
  runId: 42,
  runAttempt: 2,
  githubDeploymentId: 901,
  createdAt: at(createdMinute),
  signal: { source: 'webhook', state, at: at(createdMinute + 1), environmentUrl: 'https://shop.example' },
});

describe('opening a record from a delivery that matches none', () => {
  const active = { ...success('active', 5), state: 'in_progress' as const };

  it('a newer deployment supersedes the active one and opens in the delivery state, at GitHub time', () => {
    const seen = delivered(7, 'in_progress');
    const plan = openFromDelivery(seen, seen.signal, active, 'new-id');
    expect(plan.request).toMatchObject({ key: '42-2', state: 'in_progress', createdAt: at(7) });
    expect(plan.opening).toMatchObject({ reason: 'created', state: 'in_progress' });
    expect(plan.supersede?.record.id).toBe('active');
    expect(plan.supersede?.signal).toMatchObject({
      state: 'inactive',
      reason: 'superseded',
      detail: { superseded_by: 'new-id', key: '42-2' },
    });
    expect(plan.afterwards).toBeNull();
  });

  it('an older deployment arriving late opens already inactive, and keeps what it said', () => {
    const seen = delivered(3, 'in_progress');
    const plan = openFromDelivery(seen, seen.signal, active, 'late-id');
    expect(plan.request.state).toBe('inactive');
    expect(plan.opening).toMatchObject({ reason: 'superseded', detail: { superseded_by: 'active' } });
    expect(plan.supersede).toBeNull();
    expect(plan.afterwards).toBe(seen.signal);
    const opened = openRecord(plan.request, NO_HISTORY, 'late-id', 'webhook', seen.signal.at, at(9));
    expect(opened.record).toMatchObject({
      state: 'inactive',
      createdAt: at(3),
      environmentUrl: 'https://shop.example',
    });
  });

  it('a finished deployment does not compete with the active one; no run gives a gh- key', () => {
    const seen = { ...delivered(3, 'success'), runId: null, runAttempt: null };
    const plan = openFromDelivery(seen, seen.signal, active, 'id');
    expect(plan.request).toMatchObject({ key: 'gh-901', state: 'success' });
    expect(plan.supersede).toBeNull();
    expect(plan.afterwards).toBeNull();
  });
});

describe('openRecord', () => {
  it('takes created_at from its input, else now', () => {
    const request = { ...observationRequest(), createdAt: at(1) };
    expect(openRecord(request, NO_HISTORY, 'x', 'repair', at(2), at(3)).record.createdAt).toEqual(at(1));
    expect(
      openRecord({ ...request, createdAt: null }, NO_HISTORY, 'x', 'repair', at(2), at(3)).record.createdAt,
    ).toEqual(at(3));
  });
});

function observationRequest(): NewDeployment {
  return openFromDelivery(delivered(1, 'success'), delivered(1, 'success').signal, null, 'x').request;
}
