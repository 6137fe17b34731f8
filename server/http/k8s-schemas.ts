import { z } from 'zod';
import {
  CLUSTER_NAME_PATTERN,
  MAX_CLUSTERS,
  MAX_WORKLOADS,
  NAMESPACE_PATTERN,
  nameListProblem,
  WORKLOAD_NAME_PATTERN,
} from '../ledger/index.ts';

// The Kubernetes fields of a create request and of the record the API answers.

function checked(rule: Parameters<typeof nameListProblem>[1]) {
  return (names: string[], ctx: z.RefinementCtx) => {
    const problem = nameListProblem(names, rule);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  };
}

const workloadRule = { pattern: WORKLOAD_NAME_PATTERN, max: MAX_WORKLOADS, what: 'workload' };

/** `k8s`: the namespace and one workload's name, or a list of them (a release of several). */
export const k8sRequestSchema = z.strictObject({
  namespace: z.string().regex(NAMESPACE_PATTERN, 'must be a namespace name (a DNS-1123 label)'),
  name: z.union([
    z.string().superRefine((name, ctx) => checked(workloadRule)([name], ctx)),
    z.array(z.string()).superRefine(checked(workloadRule)),
  ]),
});

/** `k8s_clusters`: the clusters (watchers' names) that must each roll the release out. */
export const k8sClustersSchema = z
  .array(z.string())
  .superRefine(checked({ pattern: CLUSTER_NAME_PATTERN, max: MAX_CLUSTERS, what: 'cluster' }));

const progressState = z.enum(['in_progress', 'success', 'failure']);

/** `k8s_rollouts` of a record: what it expects and how far each workload got in each cluster. */
export const k8sRolloutsSchema = z
  .object({
    workloads: z.array(z.object({ namespace: z.string(), name: z.string() })),
    clusters: z.array(z.string()),
    progress: z.array(
      z.object({
        cluster: z.string(),
        kind: z.string(),
        namespace: z.string(),
        name: z.string(),
        revision: z.string().nullable(),
        step: z.string(),
        observation: z.string(),
        state: progressState,
        at: z.iso.datetime(),
      }),
    ),
  })
  .nullable()
  .meta({ id: 'K8sRollouts' });
