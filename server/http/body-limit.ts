import type { MiddlewareHandler } from 'hono';
import { bodyLimit as streamingLimit } from 'hono/body-limit';

type Options = Parameters<typeof streamingLimit>[0];

/**
 * Hono's bodyLimit, without its cost for the common case: hono's reads `c.req.raw.body` first,
 * which on Node makes a WHATWG Request and a web stream around the socket for every request
 * (about a tenth of a create's CPU). A body that declares its length is judged by that header
 * alone, as hono's does; a chunked one goes through hono's counting stream.
 */
export function bodyLimit(options: Options): MiddlewareHandler {
  const streaming = streamingLimit(options);
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return streaming(c, next);
    if (Number.parseInt(length, 10) > options.maxSize) return streaming(c, next); // answers its onError
    return next();
  };
}

/**
 * The request's body bytes: on Node, read from the socket's stream itself when its length is
 * declared (bodyLimit judged it), else through the WHATWG Request.
 */
export async function bodyBytes(c: Parameters<MiddlewareHandler>[0]): Promise<Uint8Array> {
  const incoming = (c.env as { incoming?: NodeJS.ReadableStream } | undefined)?.incoming;
  if (!incoming || c.req.header('content-length') === undefined || c.req.header('transfer-encoding'))
    return new Uint8Array(await c.req.arrayBuffer());
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
