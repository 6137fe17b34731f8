import { randomUUID } from 'node:crypto';
import { HttpResponse, http } from 'msw';
import type { DeploymentRecord } from '../../action/records.ts';
import { isActive } from '../../server/ledger/states.ts';

export const SERVER_URL = 'https://deployledger.test';
export const API_KEY = 'dl_test_in_process_key_0123456789';
/** The runner's OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL), part of GitHub's Actions runtime. */
export const TOKEN_URL = 'https://pipelines.actions.test/idtoken';
export const TOKEN_REQUEST_TOKEN = 'runtime-request-token';

const problem = (status: number, title: string, extra: Record<string, unknown> = {}) =>
  HttpResponse.json(
    { type: 'about:blank', title, status, ...extra },
    {
      status,
      headers: { 'content-type': 'application/problem+json' },
    },
  );

/**
 * msw handlers standing in for the Deployledger server's API as the Action uses it (create,
 * status by key, read) and for the runner's OIDC token endpoint: the contract's answers (201,
 * 200 replay, 409 with the active deployment, 404), without a process or a database.
 */
export function fakeLedger() {
  const records = new Map<string, DeploymentRecord & { fingerprint: string }>();
  const requests: Array<{ method: string; path: string; status: number }> = [];
  /** Answers to give before the real one, first first (e.g. a 503 with Retry-After). */
  const faults: Array<{ status: number; headers?: Record<string, string> }> = [];
  const now = () => new Date().toISOString();
  const byKey = (repository: string, environment: string, key: string) =>
    [...records.values()].find(
      (r) => r.repository === repository && r.environment === environment && r.key === key,
    );
  const authorized = (request: Request) => {
    const header = request.headers.get('authorization') ?? '';
    return header === `Bearer ${API_KEY}` || header.startsWith('Bearer oidc.');
  };
  const answer = (request: Request, respond: () => Promise<Response> | Response) => async () => {
    const fault = faults.shift();
    const response = fault
      ? new HttpResponse(null, { status: fault.status, headers: fault.headers ?? {} })
      : !authorized(request)
        ? problem(401, 'Unauthorized', { detail: 'Unknown API key.' })
        : await respond();
    requests.push({ method: request.method, path: new URL(request.url).pathname, status: response.status });
    return response;
  };
  const shown = ({ fingerprint: _, ...record }: DeploymentRecord & { fingerprint: string }) => record;

  const handlers = [
    http.post(`${SERVER_URL}/v1/deployments`, ({ request }) =>
      answer(request, async () => {
        const key = (request.headers.get('idempotency-key') ?? '').replace(/^"(.*)"$/, '$1');
        const body = (await request.json()) as Record<string, unknown> & {
          repository: string;
          environment: string;
        };
        const fingerprint = JSON.stringify(body);
        const existing = byKey(body.repository, body.environment, key);
        if (existing) {
          if (existing.fingerprint !== fingerprint) return problem(422, 'Idempotency key reused');
          return HttpResponse.json(shown(existing), { headers: { 'idempotent-replayed': 'true' } });
        }
        const active = [...records.values()].find(
          (r) => r.repository === body.repository && r.environment === body.environment && isActive(r.state),
        );
        if (active && !body.supersede) {
          return problem(409, 'Another deployment is active', { active_deployment: shown(active) });
        }
        if (active) active.state = 'inactive';
        const record = {
          id: randomUUID(),
          repository: body.repository,
          environment: body.environment,
          key,
          sha: body.sha as string,
          ref: (body.ref as string) ?? null,
          state: (body.state as DeploymentRecord['state']) ?? 'pending',
          run_id: (body.run_id as number) ?? null,
          run_attempt: (body.run_attempt as number) ?? null,
          github_deployment_id: null,
          k8s: (body.k8s as DeploymentRecord['k8s']) ?? null,
          k8s_rollouts: null,
          environment_url: (body.environment_url as string) ?? null,
          log_url: (body.log_url as string) ?? null,
          description: (body.description as string) ?? null,
          commit_at: (body.commit_at as string) ?? null,
          created_at: now(),
          started_at: now(),
          deployed_at: null,
          completed_at: null,
          updated_at: now(),
          fingerprint,
        };
        records.set(record.id, record);
        return HttpResponse.json(shown(record), {
          status: 201,
          headers: { location: `/v1/deployments/${record.id}` },
        });
      })(),
    ),
    http.post(
      `${SERVER_URL}/v1/deployments/by-key/:owner/:repo/:environment/:key/status`,
      ({ request, params }) =>
        answer(request, async () => {
          const record = byKey(
            `${params.owner}/${params.repo}`,
            params.environment as string,
            params.key as string,
          );
          if (!record) return problem(404, 'Not found', { detail: 'No record has this key.' });
          const body = (await request.json()) as { state: DeploymentRecord['state']; description?: string };
          const applied = isActive(record.state);
          if (applied) {
            record.state = body.state;
            record.description = body.description ?? record.description;
            record.completed_at = now();
            if (body.state === 'success') record.deployed_at = now();
          }
          return HttpResponse.json({ ...shown(record), applied, reason: applied ? null : 'duplicate' });
        })(),
    ),
    http.get(`${SERVER_URL}/v1/deployments/:id`, ({ request, params }) =>
      answer(request, () => {
        const record = records.get(params.id as string);
        return record ? HttpResponse.json(shown(record)) : problem(404, 'Not found');
      })(),
    ),
    http.get(TOKEN_URL, ({ request }) => {
      if (request.headers.get('authorization') !== `Bearer ${TOKEN_REQUEST_TOKEN}`) {
        return new HttpResponse(null, { status: 403 });
      }
      const audience = new URL(request.url).searchParams.get('audience');
      return HttpResponse.json({ value: `oidc.${audience}.signature` });
    }),
  ];
  return { handlers, records, requests, faults };
}
