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
  return readAll(incoming);
}

// Listeners rather than `for await`: a stream's async iterator costs more than the few chunks
// of an API body are worth.
function readAll(incoming: NodeJS.ReadableStream): Promise<Buffer> {
  if ((incoming as { readableEnded?: boolean }).readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer) => chunks.push(chunk);
    const done = (error?: Error) => {
      incoming.off('data', onData).off('end', done).off('error', done).off('close', closed);
      if (error) reject(error);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    };
    const closed = () => done(new Error('The request was closed before its body ended.'));
    incoming.on('data', onData).once('end', done).once('error', done).once('close', closed);
  });
}
