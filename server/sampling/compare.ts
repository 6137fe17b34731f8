import type { PrismaClient } from '../db/generated/client.ts';
import { findSamples } from '../db/metric-samples.ts';
import { redactUserinfo } from '../redact.ts';

export interface MetricComparison {
  name: string;
  pre: number | null;
  /** The mean of the post samples. */
  post: number | null;
  change: number | null;
  /** change / pre, when pre is not 0. */
  change_ratio: number | null;
}

/**
 * The record's pre/post metrics for the single-record read: when each phase was sampled, and
 * per metric the pre value, the mean of the post samples and the change. Null when the record
 * has no metrics endpoint and no samples.
 */
export async function readMetricComparison(
  prisma: PrismaClient,
  deploymentId: string,
  endpoint: string | null,
) {
  const samples = await findSamples(prisma, deploymentId);
  if (!endpoint && samples.length === 0) return null;
  const times = { pre: new Set<string>(), post: new Set<string>() };
  const pre = new Map<string, number>();
  const post = new Map<string, number[]>();
  for (const sample of samples) {
    const at = sample.collectedAt.toISOString();
    if (sample.phase === 'pre') {
      times.pre.add(at);
      pre.set(sample.name, sample.value);
    } else if (sample.phase === 'post') {
      times.post.add(at);
      post.set(sample.name, [...(post.get(sample.name) ?? []), sample.value]);
    }
  }
  const names = [...new Set([...pre.keys(), ...post.keys()])].sort();
  const comparison: MetricComparison[] = names.map((name) => {
    const before = pre.get(name) ?? null;
    const afterValues = post.get(name);
    const after = afterValues
      ? afterValues.reduce((sum, value) => sum + value, 0) / afterValues.length
      : null;
    const change = before !== null && after !== null ? after - before : null;
    return {
      name,
      pre: before,
      post: after,
      change,
      change_ratio: change !== null && before ? change / before : null,
    };
  });
  return {
    endpoint: endpoint === null ? null : redactUserinfo(endpoint),
    pre_collected_at: [...times.pre],
    post_collected_at: [...times.post],
    comparison,
  };
}
