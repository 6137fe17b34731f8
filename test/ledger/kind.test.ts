import { describe, expect, it } from 'vitest';
import {
  githubSyncOf,
  type KindFacts,
  kindOf,
  NO_HISTORY,
  openRecord,
  refineKind,
} from '../../server/ledger/index.ts';
import { aRequest } from '../helpers/records.ts';

const CURRENT = 'c'.repeat(40);
const EARLIER = 'b'.repeat(40);
const at = new Date('2026-12-01T10:00:00Z');

const facts = (overrides: Partial<KindFacts>): KindFacts => ({ ...NO_HISTORY, ...overrides });

describe('kindOf: the kind from the database’s facts', () => {
  it('is forward in an environment that never succeeded', () => {
    expect(kindOf(EARLIER, NO_HISTORY)).toBe('forward');
    // Even a sha that succeeded once (then was retired) needs a current one to roll back from.
    expect(kindOf(EARLIER, facts({ deployedBefore: true }))).toBe('forward');
  });

  it('is forward for a sha never deployed here', () => {
    expect(kindOf(EARLIER, facts({ currentSha: CURRENT }))).toBe('forward');
  });

  it('is redeploy for the current sha again, however it is spelled', () => {
    expect(kindOf(CURRENT, facts({ currentSha: CURRENT, deployedBefore: true }))).toBe('redeploy');
    expect(kindOf(CURRENT.toUpperCase(), facts({ currentSha: CURRENT, deployedBefore: true }))).toBe(
      'redeploy',
    );
  });

  it('is rollback for a sha that succeeded here before and is not the current one', () => {
    expect(kindOf(EARLIER, facts({ currentSha: CURRENT, deployedBefore: true }))).toBe('rollback');
  });
});

describe('refineKind: the kind once GitHub compared current...sha', () => {
  it('keeps a rollback whose sha is behind (an ancestor of) the current one', () => {
    expect(refineKind('rollback', 'behind')).toBe('rollback');
  });

  it('turns a rollback into forward when the sha is ahead of, or diverged from, the current one', () => {
    expect(refineKind('rollback', 'ahead')).toBe('forward');
    expect(refineKind('rollback', 'diverged')).toBe('forward');
  });

  it('is redeploy when the sha is the current commit under another name', () => {
    expect(refineKind('rollback', 'identical')).toBe('redeploy');
    expect(refineKind('forward', 'identical')).toBe('redeploy');
  });

  it('never makes a rollback of a sha that never succeeded here', () => {
    expect(refineKind('forward', 'behind')).toBe('forward');
    expect(refineKind('forward', 'ahead')).toBe('forward');
  });
});

describe('openRecord decides the kind and asks GitHub only about rollbacks', () => {
  const open = (sha: string, known: KindFacts) =>
    openRecord(aRequest({ sha }), known, '00000000-0000-4000-8000-000000000009', 'action', at, at);
  const compareJobs = (decision: ReturnType<typeof open>) =>
    githubSyncOf(decision).filter((job) => job.kind === 'github.compare_kind');

  it('opens a rollback with a compare job of the current sha against its own', () => {
    const decision = open(EARLIER, facts({ currentSha: CURRENT, deployedBefore: true }));
    expect(decision.record.kind).toBe('rollback');
    expect(compareJobs(decision)).toEqual([
      {
        kind: 'github.compare_kind',
        payload: { base: CURRENT, head: EARLIER, kind: 'rollback' },
        dedupeKey: 'compare:00000000-0000-4000-8000-000000000009',
      },
    ]);
  });

  it('opens forward and redeploy records without asking GitHub', () => {
    const forward = open(EARLIER, facts({ currentSha: CURRENT }));
    expect(forward.record.kind).toBe('forward');
    expect(compareJobs(forward)).toEqual([]);
    const redeploy = open(CURRENT, facts({ currentSha: CURRENT, deployedBefore: true }));
    expect(redeploy.record.kind).toBe('redeploy');
    expect(compareJobs(redeploy)).toEqual([]);
  });
});
