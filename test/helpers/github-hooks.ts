import { randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import type { Deliverer } from './redelivery.ts';

// biome-ignore lint/suspicious/noExplicitAny: GitHub payloads are open-ended JSON
type Payload = Record<string, any>;

/** One attempt in a hook's delivery log, as GitHub's REST API shapes `hook-delivery`. */
export interface LoggedAttempt {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  duration: number;
  status: string;
  status_code: number;
  event: string;
  action: string | null;
  installation_id: number | null;
  repository_id: number | null;
  throttled_at: string | null;
  url: string;
  request: { headers: Record<string, string>; payload: Payload };
  response: { headers: Record<string, string>; payload: string | null };
}

let nextAttemptId = 90_000_000_000;

/**
 * One GitHub webhook (a repository's, an organization's or a GitHub App's): it sends signed
 * deliveries to `target` as GitHub does and logs every attempt — a delivery to a stopped server
 * is logged as failed ("failed to connect", status code 0), a 5xx as "Invalid HTTP Response".
 * GitHub never sends a failed delivery again by itself; `redeliver` is what the REST API's
 * "Redeliver a delivery" does.
 */
export function createHook(options: {
  secret: string;
  hookId: number;
  installationId?: number | null;
  target?: string | null;
}) {
  const log: LoggedAttempt[] = [];
  const hook = {
    hookId: options.hookId,
    /** The server's base URL; deliveries go to `${target}/webhooks/github`. */
    target: options.target ?? null,
    /** While true, GitHub's delivery endpoints of this hook answer 503. */
    down: false,
    log,
    /** The attempts fetched one by one (`GET …/deliveries/{id}`), in order. */
    fetched: [] as number[],
    /** Newest first, as the API lists it. */
    newestFirst: () => [...log].sort((a, b) => b.id - a.id),
    find: (id: number) => log.find((attempt) => attempt.id === id),
    /** GitHub sends a new delivery of `event` (its guid becomes X-GitHub-Delivery). */
    deliver(event: string, payload: Payload, guid: string = randomUUID()) {
      return attempt(event, payload, guid, false);
    },
    /** GitHub's "Redeliver": the same guid and payload, logged as a new attempt. */
    redeliver(id: number) {
      const original = hook.find(id);
      if (!original) throw new Error(`no delivery ${id}`);
      return attempt(original.event, original.request.payload, original.guid, true);
    },
    /** The log keeps deliveries for a few days: these are gone. */
    forget(guids: string[]) {
      for (let i = log.length - 1; i >= 0; i--) if (guids.includes(log[i]!.guid)) log.splice(i, 1);
    },
  };

  async function attempt(event: string, payload: Payload, guid: string, redelivery: boolean) {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      Accept: '*/*',
      'content-type': 'application/json',
      'User-Agent': 'GitHub-Hookshot/stand-in',
      'X-GitHub-Delivery': guid,
      'X-GitHub-Event': event,
      'X-GitHub-Hook-ID': String(options.hookId),
      'X-Hub-Signature-256': await sign(options.secret, body),
    };
    const started = Date.now();
    let status = 'failed to connect';
    let statusCode = 0;
    let response: LoggedAttempt['response'] = { headers: {}, payload: null };
    if (hook.target) {
      try {
        const answer = await fetch(`${hook.target}/webhooks/github`, { method: 'POST', headers, body });
        statusCode = answer.status;
        status = answer.ok ? 'OK' : `Invalid HTTP Response: ${answer.status}`;
        response = { headers: Object.fromEntries(answer.headers), payload: await answer.text() };
      } catch {
        // Connection refused: the server is down or unreachable.
      }
    }
    const logged: LoggedAttempt = {
      id: nextAttemptId++,
      guid,
      delivered_at: new Date(started).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      redelivery,
      duration: (Date.now() - started) / 1000,
      status,
      status_code: statusCode,
      event,
      action: typeof payload.action === 'string' ? payload.action : null,
      installation_id: options.installationId ?? payload.installation?.id ?? null,
      repository_id: payload.repository?.id ?? null,
      throttled_at: null,
      url: hook.target ? `${hook.target}/webhooks/github` : '',
      request: { headers, payload },
      response,
    };
    log.push(logged);
    return logged;
  }
  return hook;
}

export type Hook = ReturnType<typeof createHook>;

/** The list entry (`hook-delivery-item`): the attempt without request, response and url. */
function item(attempt: LoggedAttempt) {
  const { request, response, url, ...rest } = attempt;
  return rest;
}

export interface HookAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * GitHub's delivery endpoints under `base` (`/app/hook`, `/repos/{o}/{r}/hooks/{id}`,
 * `/orgs/{org}/hooks/{id}`): list (newest first, `per_page` default 30 and at most 100, cursor
 * pagination through the `Link` header), get one (request headers and payload included), and
 * redeliver (202, the attempt happens after the answer). Null when the path is not one of them.
 */
export function answerDeliveries(
  hook: Hook,
  method: string,
  rest: string,
  url: URL,
  publicUrl: string,
): HookAnswer | null {
  if (hook.down && rest.startsWith('/deliveries'))
    return { status: 503, body: { message: 'Service Unavailable' } };
  if (rest === '/deliveries' && method === 'GET') {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30)));
    const cursor = url.searchParams.get('cursor');
    const all = hook.newestFirst();
    const start = cursor ? all.findIndex((attempt) => `v1_${attempt.id}` === cursor) : 0;
    if (start < 0) return { status: 422, body: { message: 'Validation Failed: cursor is invalid' } };
    const page = all.slice(start, start + perPage);
    const next = all[start + perPage];
    const headers: Record<string, string> = {};
    if (next) {
      const link = new URL(`${publicUrl}${url.pathname}`);
      link.searchParams.set('per_page', String(perPage));
      link.searchParams.set('cursor', `v1_${next.id}`);
      headers.link = `<${link}>; rel="next"`;
    }
    return { status: 200, body: page.map(item), headers };
  }
  const one = /^\/deliveries\/(\d+)$/.exec(rest);
  if (one && method === 'GET') {
    const found = hook.find(Number(one[1]));
    hook.fetched.push(Number(one[1]));
    return found ? { status: 200, body: found } : { status: 404, body: { message: 'Not Found' } };
  }
  const again = /^\/deliveries\/(\d+)\/attempts$/.exec(rest);
  if (again && method === 'POST') {
    if (!hook.find(Number(again[1]))) return { status: 404, body: { message: 'Not Found' } };
    setTimeout(() => void hook.redeliver(Number(again[1])), 0);
    return { status: 202, body: {} };
  }
  return null;
}

/**
 * A Deliverer (test/helpers/redelivery.ts) that sends through `hook` as GitHub does: once, to the
 * URL the hook is configured with, logged as failed when nothing answers, and never sent again by
 * itself; `extra` sends are the hook's "Redeliver". `target()` is where the hook points now (the
 * live server); while it names none, the hook keeps its last URL and the attempt fails.
 */
export function hookDeliverer(hook: Hook, target: () => string | undefined): Deliverer {
  const counts = { sent: 0, failed: 0, redelivered: 0 };
  const count = (attempt: LoggedAttempt) => {
    counts.sent++;
    if (attempt.redelivery) counts.redelivered++;
    if (attempt.status_code === 0 || attempt.status_code >= 500) counts.failed++;
    return attempt;
  };
  return {
    counts,
    async deliver(d, extra = 0) {
      hook.target = target() ?? hook.target;
      const first = count(await hook.deliver(d.event, JSON.parse(d.body), d.id));
      for (let i = 0; i < extra; i++) count(await hook.redeliver(first.id));
    },
  };
}
