import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { startGithubApi } from './github-api.ts';
import { answerDeliveries, createHook } from './github-hooks.ts';

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

/** The App id in a `Bearer <JWT>` (what an App authenticates `/app/...` calls with), else null. */
function jwtIssuer(authorization: string | undefined): string | null {
  const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
  if (token?.split('.').length !== 3) return null;
  try {
    const claims = decodeJwt(token);
    return claims.iss === undefined || !claims.exp ? null : String(claims.iss);
  } catch {
    return null;
  }
}

/**
 * GitHub's API for a GitHub App: installation tokens (`POST /app/installations/{id}/access_tokens`),
 * the installation of a repository or organization, the App's own webhook and its delivery log
 * (`/app/hook/deliveries`, App JWT only), and the deployment protection rule callback, which it
 * records; everything else goes to the Deployments stand-in (test/helpers/github-api.ts).
 */
export async function startGithubAppApi(options: { installationId?: number; webhookSecret?: string } = {}) {
  const installationId = options.installationId ?? 77;
  const hook = createHook({
    secret: options.webhookSecret ?? 'app-webhook-secret',
    hookId: 1,
    installationId,
  });
  let publicUrl = '';
  let hookLimitedUntil = 0;
  let hookLimitedAnswers = 0;
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
    const appHook = /^\/app\/hook(\/deliveries.*)$/.exec(url.pathname);
    if (appHook) {
      // Only the App itself (its JWT) may read its hook; an installation token is refused.
      if (jwtIssuer(req.headers.authorization) === null) {
        return answer(401, { message: 'A JSON web token could not be decoded' });
      }
      if (Date.now() < hookLimitedUntil * 1000) {
        hookLimitedAnswers++;
        res.writeHead(403, {
          'content-type': 'application/json; charset=utf-8',
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(hookLimitedUntil),
        });
        return res.end(JSON.stringify({ message: 'API rate limit exceeded for app ID 4242.' }));
      }
      const delivered = answerDeliveries(hook, req.method ?? '', appHook[1] as string, url, publicUrl);
      if (delivered) {
        res.writeHead(delivered.status, {
          'content-type': 'application/json; charset=utf-8',
          ...(delivered.headers ?? {}),
        });
        return res.end(JSON.stringify(delivered.body));
      }
    }
    if (/^\/orgs\/[^/]+\/installation$/.test(url.pathname) && req.method === 'GET') {
      return answer(200, { id: installationId, app_id: 4242, account: { login: 'acme' } });
    }
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
      headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
      body: raw || undefined,
    });
    // GitHub's paging and rate-limit headers pass through, pointing at this server.
    const passed = Object.fromEntries(
      [...forwarded.headers].filter(([name]) => /^(link|retry-after|x-ratelimit-.*)$/.test(name)),
    );
    if (passed.link) passed.link = passed.link.replaceAll(deployments.url, publicUrl);
    res.writeHead(forwarded.status, { 'content-type': 'application/json; charset=utf-8', ...passed });
    res.end(await forwarded.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  publicUrl = `http://127.0.0.1:${port}`;
  return {
    url: publicUrl,
    installationId,
    /** The App's webhook: set `hook.target` to the server's URL; its log is `/app/hook/deliveries`. */
    hook,
    callbacks,
    tokensIssued,
    deployments,
    /** Approvals and rejections GitHub accepted for one run. */
    reviewsOf: (runId: number) => callbacks.filter((call) => call.runId === runId && call.status === 204),
    /** The App hook's log answers GitHub's primary rate limit until `reset` (epoch seconds). */
    limitHookUntil(reset: number) {
      hookLimitedUntil = reset;
      hookLimitedAnswers = 0;
    },
    /** How many calls the App hook's log refused since `limitHookUntil`. */
    get hookLimitedAnswers() {
      return hookLimitedAnswers;
    },
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
