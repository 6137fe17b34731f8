import type { PrismaClient } from '../db/generated/client.ts';
import type { LedgerStore } from '../db/ledger-store.ts';
import { insertSample, sampledTimes } from '../db/metric-samples.ts';
import { findAwaitingPreSample, findDeployedSince } from '../db/sampling-candidates.ts';
import { Poller } from '../jobs/poller.ts';
import type { DeploymentRecord } from '../ledger/index.ts';
import type { Logger } from '../log.ts';
import { redactUserinfo } from '../redact.ts';
import { type FetchLimits, fetchEndpoint } from './fetch-endpoint.ts';
import { parseMetrics } from './parse-metrics.ts';
import {
  isDue,
  postSlots,
  preSlot,
  type SamplingPlan,
  type Slot,
  slotKey,
  staleAfterMs,
} from './schedule.ts';

export interface CollectorDeps {
  prisma: PrismaClient;
  store: LedgerStore;
  logger: Logger;
  plan: SamplingPlan;
  limits: FetchLimits;
}

/**
 * Samples metrics endpoints of records that have one: once while the record is active (pre),
 * and a few times after success (post). Any number of collectors may run: a slot's time is fixed
 * by the record and samples are unique per slot, so they never duplicate. Each collector tries a
 * slot once; a failure is put on the record's timeline with the reason.
 */
export function startCollector(deps: CollectorDeps, intervalMs: number) {
  const attempted = new Map<string, number>();
  const poller = new Poller(
    async () => {
      await collectOnce(deps, attempted);
      return false;
    },
    intervalMs,
    (error) => deps.logger.error({ err: error }, 'metric sampling failed'),
  ).start();
  return { kick: () => poller.kick(), stop: () => poller.stop() };
}

async function collectOnce(deps: CollectorDeps, attempted: Map<string, number>): Promise<void> {
  const now = new Date();
  for (const [key, expires] of attempted) if (expires < now.getTime()) attempted.delete(key);
  const due: Array<[DeploymentRecord, Slot]> = [];

  for (const record of await findAwaitingPreSample(deps.prisma, 100)) due.push([record, preSlot(record)]);

  const since = new Date(now.getTime() - deps.plan.postWindowMs - staleAfterMs(deps.plan));
  for (const record of await findDeployedSince(deps.prisma, since, 100)) {
    const taken = await sampledTimes(deps.prisma, record.id, 'post');
    for (const slot of postSlots(record, deps.plan)) {
      if (isDue(slot, deps.plan, now) && !taken.has(slot.at.toISOString())) due.push([record, slot]);
    }
  }

  const fresh = due.filter(([record, slot]) => !attempted.has(slotKey(record.id, slot)));
  for (const [record, slot] of fresh) {
    attempted.set(slotKey(record.id, slot), now.getTime() + 2 * staleAfterMs(deps.plan));
  }
  await Promise.all(fresh.map(([record, slot]) => sample(deps, record, slot)));
}

async function sample(deps: CollectorDeps, record: DeploymentRecord, slot: Slot): Promise<void> {
  const endpoint = record.metricsEndpoint ?? '';
  const log = deps.logger.child({
    deployment_id: record.id,
    phase: slot.phase,
    collected_at: slot.at.toISOString(),
  });
  try {
    const body = await fetchEndpoint(endpoint, deps.limits);
    const values = parseMetrics(body.contentType, body.text);
    const stored = await insertSample(deps.prisma, record.id, slot, values);
    log.info({ metrics: values.length, stored }, 'metrics sampled');
  } catch (error) {
    const message = redactUserinfo((error as Error).message);
    log.warn({ endpoint: redactUserinfo(endpoint), error: message }, 'metrics sample failed');
    await deps.store.note(record.id, 'sampler', 'metrics_sample_failed', {
      phase: slot.phase,
      collected_at: slot.at.toISOString(),
      endpoint: redactUserinfo(endpoint),
      error: message,
    });
  }
}
