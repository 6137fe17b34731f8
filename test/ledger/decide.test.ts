import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DeploymentRecord,
  decide,
  isTerminal,
  rank,
  type Signal,
  type State,
} from '../../server/ledger/index.ts';
import { aRecord } from '../helpers/records.ts';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

function record(state: State = 'pending'): DeploymentRecord {
  return aRecord({
    id: '00000000-0000-4000-8000-000000000001',
    key: '1-1',
    state,
    runId: 1,
    fingerprint: null,
    createdAt: at(0),
    updatedAt: at(0),
  });
}

const signal = (state: State, minute: number, extra: Partial<Signal> = {}): Signal => ({
  source: 'action',
  state,
  at: at(minute),
  ...extra,
});

describe('decide: the contract’s ordering rules', () => {
  it('moves forward and sets the times of each step', () => {
    const running = decide(record(), signal('in_progress', 1)).record;
    expect(running).toMatchObject({
      state: 'in_progress',
      startedAt: at(1),
      deployedAt: null,
      completedAt: null,
    });
    const done = decide(running, signal('success', 5));
    expect(done.applied).toBe(true);
    expect(done.record).toMatchObject({ state: 'success', deployedAt: at(5), completedAt: at(5) });
    expect(done.effects).toEqual([
      { type: 'state_changed', from: 'in_progress', to: 'success' },
      { type: 'deactivate_older_successes' },
      {
        type: 'github_sync',
        job: {
          kind: 'github.create_status',
          payload: { state: 'success' },
          dedupeKey: `status:${done.record.id}:success`,
        },
      },
    ]);
  });

  it('never moves backwards: a late signal is kept as not applied, reason late', () => {
    const decision = decide(record('in_progress'), signal('queued', 2));
    expect(decision).toMatchObject({ applied: false, reason: 'late', effects: [] });
    expect(decision.record.state).toBe('in_progress');
  });

  it('a repeated state is a duplicate; another terminal state is conflicting', () => {
    expect(decide(record('in_progress'), signal('in_progress', 2)).reason).toBe('duplicate');
    expect(decide(record('failure'), signal('success', 2))).toMatchObject({
      applied: false,
      reason: 'conflicting',
    });
    expect(decide(record('success'), signal('in_progress', 2))).toMatchObject({
      applied: false,
      reason: 'late',
    });
  });

  it('lets success become inactive, and nothing else leave a terminal state', () => {
    expect(decide(record('success'), signal('inactive', 9)).record.state).toBe('inactive');
    expect(decide(record('failure'), signal('inactive', 9)).record.state).toBe('failure');
    expect(decide(record('error'), signal('success', 9)).record.state).toBe('error');
  });

  it('carries URLs forward: a later signal without them does not erase them', () => {
    const first = decide(record(), signal('in_progress', 1, { environmentUrl: 'https://a.example' })).record;
    const second = decide(first, signal('success', 2)).record;
    expect(second.environmentUrl).toBe('https://a.example');
    const replaced = decide(first, signal('success', 2, { environmentUrl: 'https://b.example' })).record;
    expect(replaced.environmentUrl).toBe('https://b.example');
  });

  it('a late signal still fills what is unknown, without overwriting', () => {
    const done = decide(record(), signal('success', 5, { logUrl: 'https://log.example/1' })).record;
    const late = decide(
      done,
      signal('in_progress', 1, { environmentUrl: 'https://a.example', logUrl: 'https://x' }),
    );
    expect(late.applied).toBe(false);
    expect(late.record).toMatchObject({
      environmentUrl: 'https://a.example',
      logUrl: 'https://log.example/1',
    });
    expect(late.record.startedAt).toEqual(at(1));
  });
});

/** Signals of one deployment that agree on its outcome: the path it took, possibly repeated. */
const consistentSignals = fc
  .record({
    path: fc.subarray(['pending', 'queued', 'in_progress'] as State[]),
    outcome: fc.constantFrom<State[]>(
      ['success'],
      ['failure'],
      ['error'],
      ['inactive'],
      ['success', 'inactive'],
    ),
    url: fc.option(fc.constant('https://shop.example.com'), { nil: undefined }),
  })
  .chain(({ path, outcome, url }) => {
    const states = [...path, ...outcome];
    return fc
      .array(fc.record({ index: fc.nat(states.length - 1), minute: fc.integer({ min: 1, max: 600 }) }), {
        maxLength: 8,
      })
      .map((extras) => {
        const once = states.map((state, i) => signal(state, (i + 1) * 10, { environmentUrl: url }));
        // Duplicates and redeliveries: the same state again, at another time.
        const dupes = extras.map(({ index, minute }) =>
          signal(states[index]!, minute, { environmentUrl: url }),
        );
        return [...once, ...dupes];
      });
  });

const fold = (signals: Signal[]) => {
  let current = record();
  const seen: State[] = [current.state];
  for (const s of signals) {
    current = decide(current, s, at(1000)).record;
    seen.push(current.state);
  }
  return { final: current, seen };
};

describe('decide: property — arrival order does not matter', () => {
  it('the same signals in any order give the same record, and state never moves backwards', () => {
    fc.assert(
      fc.property(
        consistentSignals.chain((signals) =>
          fc.tuple(fc.constant(signals), fc.shuffledSubarray(signals, { minLength: signals.length })),
        ),
        ([inOrder, shuffled]) => {
          const a = fold(inOrder);
          const b = fold(shuffled);
          expect(b.final).toEqual(a.final);
          for (let i = 1; i < b.seen.length; i++) {
            const before = b.seen[i - 1]!;
            const after = b.seen[i]!;
            expect(rank(after)).toBeGreaterThanOrEqual(rank(before));
            if (isTerminal(before))
              expect(after === before || (before === 'success' && after === 'inactive')).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
