import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  body: Record<string, unknown> | null;
  status: number;
}

/**
 * A local stand-in for GitHub's REST API (the Deployments endpoints), answering with GitHub's
 * shapes and status codes, recording every call, and failing on demand.
 */
export async function startGithubApi() {
  const calls: RecordedCall[] = [];
  const deployments: Array<Record<string, unknown>> = [];
  const statuses: Array<Record<string, unknown>> = [];
  const failures: number[] = [];
  let nextId = 1000;

  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      calls.push({ method: req.method ?? '', path: url.pathname, body, status });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(payload));
    };
    const failure = failures.shift();
    if (failure) return send(failure, { message: 'Server Error' });

    const list = /^\/repos\/([^/]+)\/([^/]+)\/deployments$/.exec(url.pathname);
    const status = /^\/repos\/([^/]+)\/([^/]+)\/deployments\/(\d+)\/statuses$/.exec(url.pathname);
    if (list && req.method === 'POST') {
      const deployment = {
        id: nextId++,
        sha: body?.ref,
        ref: body?.ref,
        environment: body?.environment,
        payload: body?.payload ?? {},
        description: body?.description ?? null,
        created_at: new Date().toISOString(),
        repository: `${list[1]}/${list[2]}`,
      };
      deployments.push(deployment);
      return send(201, deployment);
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
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    deployments,
    statuses,
    /** The next `count` calls answer `status` (e.g. 502). */
    failNext(count: number, status = 502) {
      for (let i = 0; i < count; i++) failures.push(status);
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
