import http from 'node:http';
import https from 'node:https';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';

export interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
  /** Private, loopback and link-local addresses are refused unless this is true. */
  allowPrivate: boolean;
}

export interface FetchedBody {
  contentType: string;
  text: string;
}

/** A metrics endpoint could not be read; the message says why and what to change. */
export class EndpointError extends Error {}

/**
 * GETs a user-supplied URL defensively: http(s) only, no redirects, the address checked when
 * the connection is made (so a DNS name resolving to a private address is refused too), one
 * deadline for the whole exchange, and the body cut off past `maxBytes`.
 */
export function fetchEndpoint(endpoint: string, limits: FetchLimits): Promise<FetchedBody> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return Promise.reject(new EndpointError(`${endpoint} is not a URL`));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(
      new EndpointError(`${endpoint}: only http and https metrics endpoints are sampled`),
    );
  }
  const filter = { allowPrivateIPAddress: limits.allowPrivate, keepAlive: false };
  const agent =
    url.protocol === 'https:'
      ? new RequestFilteringHttpsAgent(filter)
      : new RequestFilteringHttpAgent(filter);
  const get = url.protocol === 'https:' ? https.get : http.get;

  return new Promise((resolve, reject) => {
    const fail = (error: EndpointError) => {
      clearTimeout(timer);
      request.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new EndpointError(
            `${endpoint} did not answer within ${limits.timeoutMs} ms (DEPLOYLEDGER_SAMPLING_TIMEOUT_MS)`,
          ),
        ),
      limits.timeoutMs,
    );
    const request = get(
      url,
      { agent, headers: { accept: 'text/plain, application/json;q=0.9' } },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status > 299) {
          response.resume();
          fail(new EndpointError(`${endpoint} answered ${status}; expected 200 with metrics`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limits.maxBytes) {
            fail(
              new EndpointError(
                `${endpoint} sent more than ${limits.maxBytes} bytes (DEPLOYLEDGER_SAMPLING_MAX_BYTES); cut off`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          clearTimeout(timer);
          resolve({
            contentType: response.headers['content-type'] ?? '',
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
        response.on('error', (error) => fail(new EndpointError(`${endpoint}: ${error.message}`)));
      },
    );
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(new EndpointError(describeConnectError(endpoint, error)));
    });
  }).finally(() => agent.destroy()) as Promise<FetchedBody>;
}

function describeConnectError(endpoint: string, error: Error): string {
  if (/is not allowed/.test(error.message)) {
    return `${endpoint} was refused: it resolves to a private, loopback or link-local address (${error.message}). Set DEPLOYLEDGER_SAMPLING_ALLOW_PRIVATE=true to sample endpoints inside your network.`;
  }
  return `${endpoint} could not be reached: ${error.message}`;
}
