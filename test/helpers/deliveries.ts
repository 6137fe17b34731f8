import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { Webhooks } from '@octokit/webhooks';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: tests edit sample payloads freely
type Payload = Record<string, any>;
const examples: Array<{
  name: string;
  examples: Payload[];
}> = require('@octokit/webhooks-examples/api.github.com/index.json');

/** A copy of one of GitHub's own sample payloads (npm @octokit/webhooks-examples). */
export function sample(event: string, match: (payload: Payload) => boolean = () => true): Payload {
  const found = examples.find((entry) => entry.name === event)?.examples.find(match);
  if (!found) throw new Error(`no sample ${event} payload matches`);
  return structuredClone(found);
}

export interface Delivery {
  event: string;
  id: string;
  body: string;
}

export function delivery(event: string, payload: unknown, id: string = randomUUID()): Delivery {
  return { event, id, body: JSON.stringify(payload) };
}

/** Sends a delivery the way GitHub does: JSON body, event and delivery headers, HMAC signature. */
export async function send(
  serverUrl: string,
  secret: string | null,
  d: Delivery,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${serverUrl}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/test',
      'x-github-event': d.event,
      'x-github-delivery': d.id,
      ...(secret ? { 'x-hub-signature-256': await new Webhooks({ secret }).sign(d.body) } : {}),
      ...headers,
    },
    body: d.body,
  });
  const body = (await response.json().catch(() => null)) as Record<string, string> | null;
  return { status: response.status, body: body ?? {} };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}

/**
 * Moves a sample payload to another repository: its name and, as GitHub would have it for a
 * different repository, its own numeric id (the samples all share one; the ledger follows a
 * repository by id across renames). Names that differ only in case are one repository.
 */
export function setRepository(payload: Payload, fullName: string): void {
  payload.repository.full_name = fullName;
  payload.repository.id = repositoryIdOf(fullName);
}

/** A stable, made-up GitHub repository id for a repository name (case-insensitive). */
export function repositoryIdOf(fullName: string): number {
  let hash = 7;
  for (const ch of fullName.toLowerCase()) hash = (hash * 31 + ch.charCodeAt(0)) % 2_000_000_000;
  return hash + 1;
}

/**
 * A GitHub deployment of `repository` to `environment`, created at `createdAt` (ISO): its
 * `deployment` delivery, and its `deployment_status` deliveries (each with its own status id).
 */
export function githubDeployment(repository: string, environment: string, id: number, createdAt: string) {
  const make = (
    event: 'deployment' | 'deployment_status',
    status?: { state: string; at: string; id: number },
  ) => {
    const payload =
      event === 'deployment'
        ? sample('deployment')
        : sample('deployment_status', (p) => p.deployment_status.state === 'success');
    setRepository(payload, repository);
    Object.assign(payload.deployment, {
      id,
      environment,
      sha: id.toString(16).padStart(40, '0'),
      created_at: createdAt,
      payload: {},
    });
    if (status) {
      Object.assign(payload.deployment_status, { id: status.id, state: status.state, created_at: status.at });
      payload.deployment_status.environment_url =
        status.state === 'success' ? `https://${id}.example.com` : '';
    }
    return delivery(event, payload);
  };
  return {
    created: () => make('deployment'),
    status: (state: string, at: string, statusId: number) =>
      make('deployment_status', { state, at, id: statusId }),
  };
}
