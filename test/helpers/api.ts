/** A small client for the HTTP API, as the Action or a user's script would call it. */
export function apiClient(baseUrl: string, token: string) {
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(new URL(path, baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  }
  return {
    call,
    create: (key: string, body: unknown) => call('POST', '/v1/deployments', body, { 'idempotency-key': key }),
    status: (id: string, body: unknown) => call('POST', `/v1/deployments/${id}/status`, body),
    get: (id: string) => call('GET', `/v1/deployments/${id}`),
    list: (query: Record<string, string>) => call('GET', `/v1/deployments?${new URLSearchParams(query)}`),
  };
}

export const SHA = 'a'.repeat(40);

/** The API keys of the API suites: acme/shop and acme/other. */
export const TOKEN = 'test-key-acme-shop-0123456789';
export const OTHER_TOKEN = 'test-key-acme-other-0123456789';
export const API_KEYS = `acme/shop=${TOKEN},acme/other=${OTHER_TOKEN}`;
