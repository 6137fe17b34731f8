import { ApiError } from './api-error.ts';
import type { DeployledgerClient } from './client.ts';
import type { DeploymentRecord } from './records.ts';
import { parseRetryAfter, type RetryHooks, type RetryPolicy, TransientError, withRetries } from './retry.ts';
import type { BearerToken } from './token.ts';

export interface HttpClientOptions {
  serverUrl: URL;
  /** The bearer token, and how it was obtained, so refusals can say what to fix. */
  token: BearerToken;
  retry: RetryPolicy;
  hooks?: RetryHooks;
  requestTimeoutMs?: number;
}

/** The server over HTTP. Every call retries in one way (see retry.ts); creates are idempotent by key. */
export function createHttpClient(options: HttpClientOptions): DeployledgerClient {
  const base = new URL(options.serverUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const url = (path: string) => new URL(path, base);

  async function send(
    call: 'start' | 'status' | 'read',
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    return withRetries(
      async () => {
        let token: string;
        try {
          token = await options.token.current();
        } catch (error) {
          throw new TransientError((error as Error).message);
        }
        let response: Response;
        try {
          response = await fetch(url(path), {
            method,
            headers: {
              accept: 'application/json',
              authorization: `Bearer ${token}`,
              'user-agent': 'deployledger-action',
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              ...headers,
            },
            body: body === undefined ? undefined : JSON.stringify(body),
            // Followed, a redirect turns a POST into a GET without its body (301, 302), or takes
            // the token to another host: said instead, so server-url gets fixed.
            redirect: 'manual',
            signal: AbortSignal.timeout(options.requestTimeoutMs ?? 30_000),
          });
        } catch (error) {
          throw new TransientError(`${method} ${url(path)} failed: ${networkReason(error)}`);
        }
        let text: string;
        try {
          text = await response.text();
        } catch (error) {
          // The connection dropped or timed out mid-answer: the server may have written the record,
          // and asking again (a create by its key) answers it.
          throw new TransientError(`${method} ${url(path)} failed while answering: ${networkReason(error)}`);
        }
        const payload = parseJson(text);
        const where = `${method} ${url(path)}`;
        if (response.status >= 300 && response.status < 400) {
          throw new Error(
            `${where} answered ${response.status}, a redirect to ${response.headers.get('location') ?? 'an address it did not give'}. ` +
              'The Action does not follow redirects: set server-url to the address the server answers at.',
          );
        }
        if (response.ok) {
          if (isRecord(payload)) return { response, payload };
          throw new Error(
            `${where} answered ${response.status} (${response.headers.get('content-type') ?? 'no content type'}), ` +
              'but not with a deployment record: server-url may name another service, or a proxy in front of the server answered (a sign-in page). Check server-url.',
          );
        }
        if (response.status >= 500 || response.status === 429) {
          throw new TransientError(
            `${where} answered ${response.status}${detailOf(payload)}`,
            parseRetryAfter(response.headers.get('retry-after')),
          );
        }
        throw new ApiError(response.status, payload, options.token.auth, { for: call, url: where });
      },
      options.retry,
      options.hooks,
    );
  }

  return {
    async start(key, request) {
      const { response, payload } = await send('start', 'POST', 'v1/deployments', request, {
        'idempotency-key': `"${key}"`,
      });
      return {
        record: payload as DeploymentRecord,
        replayed: response.headers.get('idempotent-replayed') === 'true',
      };
    },
    async reportStatus({ repository, environment, key }, request) {
      const [owner = '', repo = ''] = repository.split('/');
      const path = ['v1/deployments/by-key', owner, repo, environment, key]
        .map((segment, index) => (index === 0 ? segment : encodeURIComponent(segment)))
        .join('/');
      const { payload } = await send('status', 'POST', `${path}/status`, request);
      const { applied, reason, ...record } = payload as DeploymentRecord & {
        applied: boolean;
        reason: string | null;
      };
      return { record, applied, reason: reason ?? null };
    },
    async get(id) {
      const { payload } = await send('read', 'GET', `v1/deployments/${encodeURIComponent(id)}`);
      return payload as DeploymentRecord;
    },
    recordUrl: (id) => url(`v1/deployments/${encodeURIComponent(id)}`).toString(),
  };
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

/** Every successful answer of the API is a deployment record (a status call's with `applied`). */
function isRecord(payload: unknown): boolean {
  const record = payload as { id?: unknown; state?: unknown } | null;
  return typeof record?.id === 'string' && typeof record.state === 'string';
}

function detailOf(payload: unknown): string {
  const detail = (payload as { detail?: unknown } | null)?.detail;
  return typeof detail === 'string' ? ` (${detail})` : '';
}

function networkReason(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'no answer in time';
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
