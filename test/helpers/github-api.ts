import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerDeliveries, createHook, type Hook } from './github-hooks.ts';

export interface RecordedCall {
  method: string;
  path: string;
  /** The query string, e.g. `?per_page=100&cursor=v1_123`. */
  query: string;
  body: Record<string, unknown> | null;
  status: number;
}

/** An answer forced on the next call: a 5xx, or a rate limit with GitHub's headers. */
interface Failure {
  status: number;
  message?: string;
  headers?: Record<string, string>;
}

/**
 * A local stand-in for GitHub's REST API — Deployments and their statuses, workflow run
 * attempts, and repository and organization webhooks' delivery logs — answering with GitHub's
 * shapes and status codes, recording every call, and failing on demand.
 */
export async function startGithubApi() {
  const calls: RecordedCall[] = [];
  const deployments: Array<Record<string, unknown>> = [];
  const statuses: Array<Record<string, unknown>> = [];
  const failures: Failure[] = [];
  const hooks = new Map<string, Hook>();
  const runAttempts = new Map<string, Record<string, unknown>>();
  let nextId = 1000;
  let publicUrl = '';
  /** While set, our creates wait (in flight) until it resolves. */
  let createsHeld: Promise<void> | null = null;
  let waitingCreates = 0;

  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      calls.push({ method: req.method ?? '', path: url.pathname, query: url.search, body, status });
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
        ...headers,
      });
      res.end(JSON.stringify(payload));
    };
    const failure = failures.shift();
    if (failure) {
      return send(failure.status, { message: failure.message ?? 'Server Error' }, failure.headers ?? {});
    }
    const hookPath = /^(\/(?:repos\/[^/]+\/[^/]+|orgs\/[^/]+)\/hooks\/\d+)(\/deliveries.*)$/.exec(
      url.pathname,
    );
    if (hookPath) {
      const hook = hooks.get(hookPath[1] as string);
      if (!req.headers.authorization) return send(401, { message: 'Requires authentication' });
      if (!hook) return send(404, { message: 'Not Found' });
      const answer = answerDeliveries(hook, req.method ?? '', hookPath[2] as string, url, publicUrl);
      if (answer) return send(answer.status, answer.body, answer.headers);
    }
    const attempt = /^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)\/attempts\/(\d+)$/.exec(url.pathname);
    if (attempt && req.method === 'GET') {
      const run = runAttempts.get(`${attempt[1]}#${attempt[2]}#${attempt[3]}`);
      return run ? send(200, run) : send(404, { message: 'Not Found' });
    }

    const list = /^\/repos\/([^/]+)\/([^/]+)\/deployments$/.exec(url.pathname);
    const one = /^\/repos\/([^/]+\/[^/]+)\/deployments\/(\d+)$/.exec(url.pathname);
    const status = /^\/repos\/([^/]+)\/([^/]+)\/deployments\/(\d+)\/statuses$/.exec(url.pathname);
    if (list && req.method === 'POST') {
      if (createsHeld) {
        waitingCreates++;
        await createsHeld;
        waitingCreates--;
      }
      const deployment = {
        id: nextId++,
        sha: body?.ref,
        ref: body?.ref,
        environment: body?.environment,
        payload: body?.payload ?? {},
        description: body?.description ?? null,
        task: body?.task ?? 'deploy',
        creator: { login: 'deployledger[bot]', type: 'Bot' },
        created_at: new Date().toISOString(),
        repository: `${list[1]}/${list[2]}`,
      };
      deployments.push(deployment);
      return send(201, deployment);
    }
    const found = one ? deployments.find((d) => d.id === Number(one[2]) && d.repository === one[1]) : null;
    if (one && !found) return send(404, { message: 'Not Found' });
    if (one && found && req.method === 'GET') return send(200, found);
    if (one && found && req.method === 'DELETE') {
      // GitHub deletes only an inactive deployment, unless it is the repository's only one.
      const latest = statuses.filter((s) => s.deployment_id === found.id).at(-1);
      const only = deployments.filter((d) => d.repository === found.repository).length === 1;
      if (!only && latest?.state !== 'inactive') {
        return send(422, {
          message:
            'We cannot delete an active deployment unless it is the only deployment in a given environment.',
        });
      }
      deployments.splice(deployments.indexOf(found), 1);
      calls.push({ method: 'DELETE', path: url.pathname, query: url.search, body, status: 204 });
      res.writeHead(204).end();
      return;
    }
    if (list && req.method === 'GET') {
      const sha = url.searchParams.get('sha');
      const environment = url.searchParams.get('environment');
      return send(
        200,
        deployments.filter(
          (d) =>
            (!sha || d.sha === sha) &&
            (!environment || d.environment === environment) &&
            d.repository === `${list[1]}/${list[2]}`,
        ),
      );
    }
    if (status && req.method === 'GET') {
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
      const newestFirst = statuses
        .filter((s) => s.deployment_id === Number(status[3]))
        .sort((a, b) => Number(b.id) - Number(a.id));
      return send(200, newestFirst.slice(0, perPage));
    }
    if (status && req.method === 'POST') {
      const deployment = deployments.find((d) => d.id === Number(status[3]));
      if (!deployment) return send(404, { message: 'Not Found' });
      const created = {
        id: nextId++,
        deployment_id: deployment.id,
        ...body,
        created_at: new Date().toISOString(),
      };
      statuses.push(created);
      return send(201, created);
    }
    return send(404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  publicUrl = `http://127.0.0.1:${port}`;
  return {
    url: publicUrl,
    calls,
    deployments,
    statuses,
    /** The next `count` calls answer `status` (e.g. 502). */
    failNext(count: number, status = 502) {
      for (let i = 0; i < count; i++) failures.push({ status });
    },
    /** The next `count` calls are refused as GitHub refuses over a rate limit. */
    limitNext(count: number, failure: Failure) {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    /** Forgets the forced answers not given yet: GitHub answers normally again. */
    clearFailures() {
      failures.length = 0;
    },
    /** A repository webhook (`/repos/{owner}/{repo}/hooks/{hookId}`) with its delivery log. */
    addRepoHook(repository: string, hookId: number, secret: string) {
      const hook = createHook({ secret, hookId });
      hooks.set(`/repos/${repository}/hooks/${hookId}`, hook);
      return hook;
    },
    /** An organization webhook (`/orgs/{org}/hooks/{hookId}`) with its delivery log. */
    addOrgHook(org: string, hookId: number, secret: string) {
      const hook = createHook({ secret, hookId });
      hooks.set(`/orgs/${org}/hooks/${hookId}`, hook);
      return hook;
    },
    /** What `GET /repos/{repository}/actions/runs/{runId}/attempts/{attempt}` answers. */
    setRunAttempt(repository: string, runId: number, attempt: number, fields: Record<string, unknown>) {
      const now = new Date().toISOString();
      runAttempts.set(`${repository}#${runId}#${attempt}`, {
        id: runId,
        name: 'deploy',
        run_number: runId % 1000,
        run_attempt: attempt,
        event: 'push',
        status: 'in_progress',
        conclusion: null,
        head_sha: '0'.repeat(40),
        html_url: `https://github.com/${repository}/actions/runs/${runId}/attempts/${attempt}`,
        created_at: now,
        run_started_at: now,
        updated_at: now,
        ...fields,
      });
    },
    /**
     * A deployment GitHub itself creates, as for a job with `environment:`: it carries the job's
     * workflow run (`workflow_run` in its deliveries), and no payload of ours.
     */
    addDeployment(
      repository: string,
      fields: { sha: string; environment: string; workflowRun?: { id: number; run_attempt: number } },
    ) {
      const { workflowRun, ...rest } = fields;
      const deployment = {
        id: nextId++,
        ref: 'main',
        payload: {},
        description: null,
        created_at: new Date().toISOString(),
        repository,
        ...rest,
        ...(workflowRun ? { workflow_run: workflowRun } : {}),
      };
      deployments.push(deployment);
      return deployment;
    },
    /**
     * A job with `environment:` starts, as GitHub runs it: GitHub creates the job's deployment
     * (github-actions[bot], task `deploy`, no payload, naming the run) and marks it in_progress.
     */
    startJob(
      repository: string,
      job: { sha: string; environment: string; runId: number; runAttempt: number },
    ) {
      const deployment = this.addDeployment(repository, {
        sha: job.sha,
        environment: job.environment,
        workflowRun: { id: job.runId, run_attempt: job.runAttempt },
      });
      Object.assign(deployment, { task: 'deploy', creator: { login: 'github-actions[bot]', type: 'Bot' } });
      this.addStatus(deployment.id, { state: 'in_progress' });
      return deployment;
    },
    /** Our creates wait, in flight, until the returned function is called. */
    holdCreates() {
      let release = () => {};
      createsHeld = new Promise<void>((resolve) => {
        release = resolve;
      }).then(() => {
        createsHeld = null;
      });
      return release;
    },
    /** How many of our creates are waiting under `holdCreates`. */
    waitingCreates: () => waitingCreates,
    /** A status someone else (not our server) created on a deployment the stand-in holds. */
    addStatus(deploymentId: number, fields: Record<string, unknown>) {
      const created = {
        id: nextId++,
        deployment_id: deploymentId,
        environment_url: '',
        log_url: '',
        target_url: '',
        description: '',
        created_at: new Date().toISOString(),
        ...fields,
      };
      statuses.push(created);
      return created;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  return text ? JSON.parse(text) : null;
}
