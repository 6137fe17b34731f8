import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoTiming } from '../helpers/github-echo.ts';
import { type Cluster, startCluster } from './harness.ts';
import {
  actionCall,
  githubSide,
  type HttpCounts,
  newRun,
  progressingSteps,
  type Run,
  readRecord,
  recordsOf,
  rolloutOf,
  until,
  workflowRunCompleted,
} from './producers.ts';
import { stats } from './stats.ts';

// 200 in CI; E2E_INTERLEAVINGS=10000 for the long run. The seed makes a failure reproducible.
const COUNT = Number(process.env.E2E_INTERLEAVINGS ?? 200);
const SEED = Number(process.env.E2E_SEED ?? 20261127);
const CONCURRENCY = Number(process.env.E2E_CONCURRENCY ?? 12);

/** When each producer speaks, relative to the Action's start, and how often GitHub redelivers. */
const planArbitrary = fc.record({
  startReplica: fc.nat(1),
  startRetried: fc.boolean(),
  rolloutAfterMs: fc.integer({ min: 0, max: 300 }),
  rolloutGapsMs: fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 6, maxLength: 6 }),
  finalAfterMs: fc.integer({ min: 0, max: 700 }),
  finalReplica: fc.nat(1),
  finalRetried: fc.boolean(),
  workflowRunAfterMs: fc.integer({ min: 0, max: 900 }),
  workflowRunRedeliveries: fc.integer({ min: 0, max: 2 }),
  echo: fc.record({
    delayMs: fc.integer({ min: 0, max: 600 }),
    redeliveries: fc.integer({ min: 0, max: 2 }),
  }),
});
const plans = fc.sample(planArbitrary, { seed: SEED, numRuns: COUNT });
type Plan = (typeof plans)[number];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('e2e: the same signals in random order, with redeliveries and delays (seeded)', () => {
  let cluster: Cluster;
  const echoTiming = new Map<string, EchoTiming>();
  const counts: HttpCounts = { requests: 0, failed: 0, retries: 0 };

  beforeAll(async () => {
    cluster = await startCluster({
      echo: (environment) => echoTiming.get(environment) ?? { delayMs: 0, redeliveries: 0 },
      env: { DEPLOYLEDGER_DB_POOL_SIZE: '8' },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  async function interleave(index: number, plan: Plan) {
    const run: Run = newRun(500_000 + index, `mix-${index}`);
    echoTiming.set(run.environment, plan.echo);
    const replica = (n: number) => () => (cluster.replicas[n] ?? cluster.replicas[0])!.url;
    const started = await actionCall(replica(plan.startReplica), run, 'start', counts);
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    if (plan.startRetried) {
      expect((await actionCall(replica(1 - plan.startReplica), run, 'start', counts)).status).toBe(200);
    }
    const steps = rolloutOf(run);
    await Promise.all([
      (async () => {
        await sleep(plan.rolloutAfterMs);
        for (const [i, object] of [...progressingSteps(steps), steps.complete].entries()) {
          cluster.kube.apply(object);
          await sleep(plan.rolloutGapsMs[i] ?? 0);
        }
      })(),
      (async () => {
        await sleep(plan.finalAfterMs);
        const finals = plan.finalRetried ? 2 : 1;
        for (let i = 0; i < finals; i++) {
          const finished = await actionCall(replica(plan.finalReplica), run, 'success', counts);
          expect(finished.status, JSON.stringify(finished.body)).toBe(200);
        }
      })(),
      (async () => {
        await sleep(plan.workflowRunAfterMs);
        await cluster.deliverer.deliver(workflowRunCompleted(run, 'success'), plan.workflowRunRedeliveries);
      })(),
    ]);
    const [record] = await until(
      `${run.environment} to settle (rollout completed at ${steps.completedAt})`,
      async () => {
        const records = await recordsOf(cluster, run.environment);
        const [side] = githubSide(cluster, run.environment);
        return records[0]?.deployed_at === new Date(steps.completedAt).toISOString() &&
          side?.states.length === 2
          ? records
          : undefined;
      },
      60_000,
    ).catch(async (error: Error) => {
      const records = await recordsOf(cluster, run.environment);
      const detail = await Promise.all(records.map((r) => readRecord(cluster, r.id)));
      throw new Error(
        `${error.message}\nrecords: ${JSON.stringify(detail)}\nGitHub: ${JSON.stringify(githubSide(cluster, run.environment))}`,
      );
    });
    return { run, record, completedAt: steps.completedAt };
  }

  it(
    `${COUNT} interleavings: always one record, success at the rollout's time, one GitHub deployment`,
    async () => {
      stats.scenarios++;
      const outcomes: Array<Awaited<ReturnType<typeof interleave>>> = [];
      let next = 0;
      const worker = async () => {
        while (next < plans.length) {
          const index = next++;
          try {
            outcomes.push(await interleave(index, plans[index]!));
          } catch (error) {
            throw new Error(
              `interleaving ${index} (E2E_SEED=${SEED}) failed: ${(error as Error).message}\nplan: ${JSON.stringify(plans[index])}`,
            );
          }
          stats.interleavings++;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      await cluster.drained(120_000);
      expect(cluster.echo.errors).toEqual([]);

      for (const { run, completedAt } of outcomes) {
        const records = await recordsOf(cluster, run.environment);
        expect(records, run.environment).toHaveLength(1);
        expect(records[0]).toMatchObject({
          state: 'success',
          deployed_at: new Date(completedAt).toISOString(),
          key: `${run.runId}-1`,
        });
        const sides = githubSide(cluster, run.environment);
        expect(sides, run.environment).toHaveLength(1);
        expect(sides[0]!.states, run.environment).toEqual(['in_progress', 'success']);
        expect(records[0]!.github_deployment_id).toBe(sides[0]!.deployment.id);
      }
      const check = await cluster.check();
      expect(check.code, check.stdout).toBe(0);
    },
    Math.max(180_000, COUNT * 2_000),
  );
});
