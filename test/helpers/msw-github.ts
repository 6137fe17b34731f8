import { HttpResponse, http } from 'msw';
import { answerDeliveries, createHook, type Hook } from './github-hooks.ts';

/** A GitHub Enterprise Server's API root: every path must keep its `/api/v3` prefix. */
export const GITHUB_API_URL = 'https://github.acme.test/api/v3';
const ORIGIN = new URL(GITHUB_API_URL).origin;
const PREFIX = new URL(GITHUB_API_URL).pathname;

/** An answer forced on the next request: an error body, GitHub's headers. */
export interface Fault {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

export interface SeenRequest {
  method: string;
  path: string;
  search: string;
  authorization: string | null;
  body: Record<string, unknown> | null;
}

/**
 * msw handlers speaking GitHub's REST API as the server's GitHub client uses it: hook delivery
 * logs (repository, organization, the App's; cursor pages through `Link`), workflow run
 * attempts, deployments and their statuses, App installations and their tokens. Every answer
 * carries GitHub's `x-ratelimit-*` headers; `fail` forces GitHub's error answers (rate limits,
 * secondary limits with `Retry-After`, 403 "Resource not accessible by integration").
 */
export function fakeGithub() {
  const hooks = new Map<string, Hook>();
  const runAttempts = new Map<string, Record<string, unknown>>();
  const deployments: Array<Record<string, unknown>> = [];
  const statuses: Array<Record<string, unknown>> = [];
  const faults: Fault[] = [];
  const requests: SeenRequest[] = [];
  let nextId = 500;
  let remaining = 5000;

  const rateHeaders = () => ({
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': String(Math.max(0, --remaining)),
    'x-ratelimit-used': String(5000 - remaining),
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    'x-ratelimit-resource': 'core',
  });
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    HttpResponse.json(body as Record<string, unknown>, { status, headers: { ...rateHeaders(), ...headers } });

  const route = (method: string, path: string, url: URL, body: Record<string, unknown> | null) => {
    const hookPath = /^(\/(?:repos\/[^/]+\/[^/]+|orgs\/[^/]+)\/hooks\/\d+|\/app\/hook)(\/deliveries.*)$/.exec(
      path,
    );
    if (hookPath) {
      const hook = hooks.get(hookPath[1] as string);
      if (!hook) return json(404, { message: 'Not Found' });
      const answer = answerDeliveries(hook, method, hookPath[2] as string, url, ORIGIN);
      if (answer) return json(answer.status, answer.body, answer.headers);
    }
    const attempt = /^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)\/attempts\/(\d+)$/.exec(path);
    if (attempt && method === 'GET') {
      const run = runAttempts.get(`${attempt[1]}#${attempt[2]}#${attempt[3]}`);
      return run ? json(200, run) : json(404, { message: 'Not Found' });
    }
    if (/^\/(repos\/[^/]+\/[^/]+|orgs\/[^/]+)\/installation$/.test(path) && method === 'GET')
      return json(200, { id: 77, app_id: 4242, account: { login: 'acme' } });
    const token = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
    if (token && method === 'POST') {
      const expires = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      return json(201, { token: `ghs_installation_${token[1]}`, expires_at: expires, permissions: {} });
    }
    const list = /^\/repos\/([^/]+\/[^/]+)\/deployments$/.exec(path);
    if (list && method === 'POST') {
      const deployment = { id: nextId++, ...body, repository: list[1], created_at: new Date().toISOString() };
      deployments.push(deployment);
      return json(201, deployment);
    }
    if (list && method === 'GET') {
      const sha = url.searchParams.get('sha');
      return json(
        200,
        deployments.filter((d) => d.repository === list[1] && (!sha || d.ref === sha)),
      );
    }
    const status = /^\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/.exec(path);
    if (status && method === 'POST') {
      const created = {
        id: nextId++,
        deployment_id: Number(status[1]),
        ...body,
        created_at: new Date().toISOString(),
      };
      statuses.push(created);
      return json(201, created);
    }
    if (status && method === 'GET') {
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
      const newestFirst = statuses
        .filter((s) => s.deployment_id === Number(status[1]))
        .sort((a, b) => Number(b.id) - Number(a.id));
      return json(200, newestFirst.slice(0, perPage));
    }
    return json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  };

  const handlers = [
    http.all(`${GITHUB_API_URL}/*`, async ({ request }) => {
      const url = new URL(request.url);
      const path = url.pathname.slice(PREFIX.length);
      const text = request.method === 'GET' ? '' : await request.text();
      const authorization = request.headers.get('authorization');
      requests.push({
        method: request.method,
        path,
        search: url.search,
        authorization,
        body: text ? JSON.parse(text) : null,
      });
      const fault = faults.shift();
      if (fault) return json(fault.status, { message: fault.message }, fault.headers);
      if (!authorization) return json(401, { message: 'Requires authentication' });
      return route(request.method, path, url, text ? JSON.parse(text) : null);
    }),
  ];

  return {
    handlers,
    requests,
    deployments,
    statuses,
    /** The next `count` requests are answered with `fault`. */
    fail(fault: Fault, count = 1) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    /** A webhook's delivery log at `base` (`/repos/acme/shop/hooks/12`, `/orgs/acme/hooks/7`, `/app/hook`). */
    addHook(base: string, hookId = 1) {
      const hook = createHook({ secret: 'msw-hook-secret', hookId });
      hooks.set(base, hook);
      return hook;
    },
    /** The next answer says the rate limit is used up (`x-ratelimit-remaining: 0`). */
    exhaust() {
      remaining = 1;
    },
    setRunAttempt(repository: string, runId: number, attempt: number, fields: Record<string, unknown>) {
      runAttempts.set(`${repository}#${runId}#${attempt}`, {
        id: runId,
        run_attempt: attempt,
        status: 'in_progress',
        conclusion: null,
        html_url: `https://github.acme.test/${repository}/actions/runs/${runId}/attempts/${attempt}`,
        updated_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ...fields,
      });
    },
    addStatus(deploymentId: number, fields: Record<string, unknown>) {
      statuses.push({
        id: nextId++,
        deployment_id: deploymentId,
        created_at: new Date().toISOString(),
        ...fields,
      });
    },
    reset() {
      hooks.clear();
      runAttempts.clear();
      deployments.length = 0;
      statuses.length = 0;
      faults.length = 0;
      requests.length = 0;
      remaining = 5000;
    },
  };
}
