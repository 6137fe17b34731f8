import { delivery, sample, setRepository } from './deliveries.ts';
import type { startGithubApi } from './github-api.ts';
import type { Deliverer } from './redelivery.ts';

type GithubApi = Awaited<ReturnType<typeof startGithubApi>>;
// biome-ignore lint/suspicious/noExplicitAny: GitHub payloads are open-ended JSON
type Payload = Record<string, any>;

export interface EchoTiming {
  delayMs: number;
  /** Extra sends of the same delivery id (GitHub's "Redeliver"). */
  redeliveries: number;
}

/**
 * GitHub's `deployment` delivery for a deployment the stand-in holds (from GitHub's sample); one
 * GitHub created for a job's environment names the job's run (`workflow_run`).
 */
export function deploymentDelivery(deployment: Payload) {
  const run = deployment.workflow_run as { id: number; run_attempt: number } | undefined;
  const payload = sample('deployment', (p) => Boolean(p.workflow_run) === Boolean(run));
  if (run) Object.assign(payload.workflow_run, { ...run, head_sha: deployment.sha });
  Object.assign(payload.deployment, {
    id: deployment.id,
    sha: deployment.sha,
    ref: deployment.ref,
    environment: deployment.environment,
    payload: deployment.payload,
    description: deployment.description,
    created_at: deployment.created_at,
    updated_at: deployment.created_at,
    ...(deployment.task ? { task: deployment.task } : {}),
  });
  if (deployment.creator) Object.assign(payload.deployment.creator, deployment.creator);
  setRepository(payload, deployment.repository);
  return delivery('deployment', payload);
}

/** GitHub's `deployment_status` delivery for a status the stand-in holds. */
export function deploymentStatusDelivery(deployment: Payload, status: Payload) {
  const payload = sample('deployment_status', (p) => p.deployment_status.state === 'success');
  const parent = JSON.parse(deploymentDelivery(deployment).body);
  payload.deployment = parent.deployment;
  if (parent.workflow_run) payload.workflow_run = parent.workflow_run;
  Object.assign(payload.deployment_status, {
    id: status.id,
    state: status.state,
    environment: deployment.environment,
    environment_url: status.environment_url ?? '',
    log_url: status.log_url ?? '',
    target_url: status.log_url ?? '',
    description: status.description ?? '',
    created_at: status.created_at,
    updated_at: status.created_at,
  });
  setRepository(payload, deployment.repository);
  return delivery('deployment_status', payload);
}

/**
 * Makes the GitHub stand-in behave like GitHub towards its webhook: every deployment and status
 * our server creates there is delivered back (signed) after `timing(environment)`'s delay, and
 * redelivered as often as it says.
 */
export function startGithubEcho(
  github: GithubApi,
  deliverer: Deliverer,
  timing: (environment: string) => EchoTiming = () => ({ delayMs: 0, redeliveries: 0 }),
) {
  const echoed = new Set<unknown>();
  const pending = new Set<Promise<void>>();
  const errors: Error[] = [];
  /** Deliveries about a held deployment wait, in order, until released. */
  let held: ((deployment: Payload) => boolean) | null = null;
  const waiting: Array<() => void> = [];
  const schedule = (deployment: Payload, build: () => ReturnType<typeof delivery>) => {
    if (held?.(deployment)) {
      waiting.push(() => send(deployment.environment as string, build));
      return;
    }
    send(deployment.environment as string, build);
  };
  const send = (environment: string, build: () => ReturnType<typeof delivery>) => {
    const { delayMs, redeliveries } = timing(environment);
    const job = new Promise<void>((resolve) => setTimeout(resolve, delayMs))
      .then(() => deliverer.deliver(build(), redeliveries))
      .catch((error: Error) => void errors.push(error))
      .finally(() => pending.delete(job));
    pending.add(job);
  };
  const timer = setInterval(() => {
    for (const deployment of github.deployments) {
      if (echoed.has(deployment)) continue;
      echoed.add(deployment);
      schedule(deployment, () => deploymentDelivery(deployment));
    }
    for (const status of github.statuses) {
      if (echoed.has(status)) continue;
      const deployment = github.deployments.find((d) => d.id === status.deployment_id);
      if (!deployment) continue;
      echoed.add(status);
      schedule(deployment, () => deploymentStatusDelivery(deployment, status));
    }
  }, 50);
  return {
    errors,
    /** Holds back every delivery about the deployments `match` picks (GitHub is slow to send them). */
    hold(match: (deployment: Payload) => boolean) {
      held = match;
    },
    /** Sends what was held, in the order GitHub would have sent it, and holds nothing more. */
    release() {
      held = null;
      for (const send of waiting.splice(0)) send();
    },
    /** Resolves once every echo scheduled so far has been delivered. */
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
