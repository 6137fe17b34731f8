import { randomBytes } from 'node:crypto';
import { type ActionRun, githubRun, runAction } from '../helpers/action.ts';
import { delivery, sample, setRepository } from '../helpers/deliveries.ts';
import { rolloutSteps } from '../helpers/k8s-deployments.ts';
import type { Cluster } from './harness.ts';
import { REPOSITORY, TOKEN } from './harness.ts';

/** One job of one workflow run deploying one commit to one environment and one Deployment. */
export interface Run {
  runId: number;
  attempt: number;
  environment: string;
  sha: string;
  namespace: string;
  name: string;
}

export const newSha = () => randomBytes(20).toString('hex');

export function newRun(runId: number, environment: string, attempt = 1): Run {
  return { runId, attempt, environment, sha: newSha(), namespace: environment, name: 'web' };
}

export const keyOf = (run: Run) => `${run.runId}-${run.attempt}`;
export const environmentUrl = (run: Run) => `https://${run.environment}.shop.example.com`;

/** The real Action (`node dist/index.js`) as the runner runs it, against replica `replica`. */
export async function actionStep(
  cluster: Cluster,
  run: Run,
  status = 'start',
  replica = 0,
  extraInputs: Record<string, string> = {},
): Promise<ActionRun> {
  return runAction({
    inputs: {
      'server-url': (cluster.replicas[replica] ?? cluster.live()[0])!.url,
      token: TOKEN,
      environment: run.environment,
      status,
      'environment-url': environmentUrl(run),
      'k8s-namespace': run.namespace,
      'k8s-name': run.name,
      ...extraInputs,
    },
    env: { ...githubRun(run.runId, run.attempt), GITHUB_SHA: run.sha },
  });
}

export interface HttpCounts {
  requests: number;
  failed: number;
  retries: number;
}

/**
 * The Action's two calls made over HTTP exactly as `dist/index.js` makes them (same paths,
 * headers and bodies, retried on 5xx and network errors), for volume where spawning a process
 * per call would cost more than the server under test.
 */
export async function actionCall(
  target: () => string,
  run: Run,
  status: 'start' | 'success' | 'failure' | 'cancelled',
  counts: HttpCounts = { requests: 0, failed: 0, retries: 0 },
  giveUpAfterMs = 60_000,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const logUrl = `https://github.com/${REPOSITORY}/actions/runs/${run.runId}`;
  const [path, body, headers] =
    status === 'start'
      ? [
          'v1/deployments',
          {
            repository: REPOSITORY,
            environment: run.environment,
            sha: run.sha,
            ref: 'refs/heads/main',
            run_id: run.runId,
            run_attempt: run.attempt,
            state: 'in_progress',
            environment_url: environmentUrl(run),
            log_url: logUrl,
            k8s: { namespace: run.namespace, name: run.name },
          },
          { 'idempotency-key': `"${keyOf(run)}"` },
        ]
      : [
          `v1/deployments/by-key/acme/shop/${encodeURIComponent(run.environment)}/${keyOf(run)}/status`,
          {
            state: status === 'cancelled' ? 'error' : status,
            environment_url: environmentUrl(run),
            log_url: logUrl,
            ...(status === 'cancelled' ? { description: 'The job was cancelled.' } : {}),
          },
          {},
        ];
  const deadline = Date.now() + giveUpAfterMs;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) counts.retries++;
    counts.requests++;
    try {
      const response = await fetch(new URL(path, `${target()}/`), {
        method: 'POST',
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${TOKEN}`,
          'user-agent': 'deployledger-action',
          'content-type': 'application/json',
          ...headers,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      if (response.status < 500 && response.status !== 429) {
        return { status: response.status, body: text ? JSON.parse(text) : {} };
      }
    } catch {
      // a network error: retried like a 5xx
    }
    counts.failed++;
    if (Date.now() > deadline) throw new Error(`${status} of ${keyOf(run)} never succeeded`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 100 * 2 ** (attempt - 1))));
  }
}

/** GitHub's `workflow_run` completed delivery for this run (from GitHub's sample). */
export function workflowRunCompleted(run: Run, conclusion: string, at = new Date()) {
  const payload = sample('workflow_run', (p) => p.action === 'completed');
  Object.assign(payload.workflow_run, {
    id: run.runId,
    run_attempt: run.attempt,
    conclusion,
    status: 'completed',
    head_sha: run.sha,
    updated_at: at.toISOString(),
  });
  setRepository(payload, REPOSITORY);
  return delivery('workflow_run', payload);
}

/**
 * The run's rollout as the cluster shows it (`kubectl get deployment -o json` at each step),
 * annotated with the record's key; `startedAt` defaults to 45 s ago, so it completed 3 s ago.
 */
export function rolloutOf(run: Run, options: { revision?: number; startedAt?: Date } = {}) {
  return rolloutSteps(
    {
      namespace: run.namespace,
      name: run.name,
      annotations: {
        'deployledger.dev/repository': REPOSITORY,
        'deployledger.dev/environment': run.environment,
        'deployledger.dev/key': keyOf(run),
      },
    },
    {
      image: `ghcr.io/acme/shop:${run.sha}`,
      previousImage: `ghcr.io/acme/shop:${newSha()}`,
      revision: options.revision ?? 2,
      startedAt: options.startedAt ?? new Date(Date.now() - 45_000),
    },
  );
}

/** The whole rollout in order, as `kubectl rollout status` would watch it. */
export function progressingSteps(steps: ReturnType<typeof rolloutOf>) {
  return [
    steps.previous,
    steps.specUpdated,
    steps.firstNewPod,
    steps.oldPodTerminating,
    steps.lastPodStarting,
  ];
}

// biome-ignore lint/suspicious/noExplicitAny: records are JSON read back from the API
export type Json = Record<string, any>;

/** The records of (acme/shop, environment), read through a live replica. */
export async function recordsOf(cluster: Cluster, environment: string): Promise<Json[]> {
  const base = cluster.live()[0]!.url;
  const response = await fetch(
    `${base}/v1/deployments?${new URLSearchParams({ repository: REPOSITORY, environment })}`,
    { headers: { authorization: `Bearer ${TOKEN}` } },
  );
  return ((await response.json()) as { deployments: Json[] }).deployments;
}

export async function readRecord(cluster: Cluster, id: string): Promise<Json> {
  const base = cluster.live()[0]!.url;
  const response = await fetch(`${base}/v1/deployments/${id}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return (await response.json()) as Json;
}

/** The GitHub deployments the stand-in holds for this environment, with their statuses in order. */
export function githubSide(cluster: Cluster, environment: string) {
  return cluster.github.deployments
    .filter((deployment) => deployment.environment === environment)
    .map((deployment) => ({
      deployment,
      states: cluster.github.statuses
        .filter((status) => status.deployment_id === deployment.id)
        .map((status) => status.state as string),
    }));
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
