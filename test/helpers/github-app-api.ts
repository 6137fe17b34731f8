import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGithubApi } from './github-api.ts';

export interface ProtectionCallback {
  repository: string;
  runId: number;
  body: { environment_name?: string; state?: string; comment?: string };
  authorization: string;
  status: number;
}

/** A GitHub App's credentials for the server under test: a fresh RSA key, as GitHub issues one. */
export function githubAppCredentials(appId = '4242') {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { GITHUB_APP_ID: appId, GITHUB_APP_PRIVATE_KEY: privateKey };
}

/**
 * GitHub's API for a GitHub App: installation tokens (`POST /app/installations/{id}/access_tokens`),
 * the installation of a repository, and the deployment protection rule callback, which it
 * records; everything else goes to the Deployments stand-in (test/helpers/github-api.ts).
 */
export async function startGithubAppApi(options: { installationId?: number } = {}) {
  const installationId = options.installationId ?? 77;
  const deployments = await startGithubApi();
  const callbacks: ProtectionCallback[] = [];
  const tokensIssued: number[] = [];
  const failures: number[] = [];

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await readBody(req);
    const answer = (status: number, payload?: unknown) => {
      res.writeHead(
        status,
        payload === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      );
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    const token = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
    if (token && req.method === 'POST') {
      tokensIssued.push(Number(token[1]));
      return answer(201, {
        token: `ghs_installation_${token[1]}`,
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
        permissions: { deployments: 'write', actions: 'read' },
        repository_selection: 'all',
      });
    }
    if (/^\/repos\/[^/]+\/[^/]+\/installation$/.test(url.pathname) && req.method === 'GET') {
      return answer(200, { id: installationId, app_id: 4242, account: { login: 'acme' } });
    }
    const callback = /^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)\/deployment_protection_rule$/.exec(
      url.pathname,
    );
    if (callback && req.method === 'POST') {
      const status = failures.shift() ?? 204;
      callbacks.push({
        repository: callback[1] as string,
        runId: Number(callback[2]),
        body: raw ? JSON.parse(raw) : {},
        authorization: req.headers.authorization ?? '',
        status,
      });
      return status === 204 ? answer(204) : answer(status, { message: 'Server Error' });
    }
    const forwarded = await fetch(`${deployments.url}${url.pathname}${url.search}`, {
      method: req.method ?? 'GET',
      headers: { 'content-type': 'application/json' },
      body: raw || undefined,
    });
    res.writeHead(forwarded.status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(await forwarded.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    installationId,
    callbacks,
    tokensIssued,
    deployments,
    /** Approvals and rejections GitHub accepted for one run. */
    reviewsOf: (runId: number) => callbacks.filter((call) => call.runId === runId && call.status === 204),
    /** The next `count` protection callbacks answer `status` (e.g. 502). */
    failNextCallbacks(count: number, status = 502) {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deployments.close();
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}
