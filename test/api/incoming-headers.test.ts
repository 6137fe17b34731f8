import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { readHeadersFromIncoming } from '../../server/http/incoming-headers.ts';

// Headers read from Node's parsed request must read as Hono's own way (a WHATWG Headers) would:
// what a route sees of a header cannot depend on which way answered it.
const RAW = [
  'Host',
  'example.test',
  'Idempotency-Key',
  '"42-1"',
  'X-Repeated',
  'first',
  'content-type',
  'application/json',
  'x-repeated',
  'second',
  'Set-Cookie',
  'a=1',
  'set-cookie',
  'b=2',
];

async function seen(useIncoming: boolean) {
  const app = new Hono<{ Bindings: { incoming?: { rawHeaders: string[] } } }>();
  app.get('/', (c) => {
    if (useIncoming) readHeadersFromIncoming(c);
    return c.json({
      one: ['idempotency-key', 'IDEMPOTENCY-KEY', 'X-Repeated', 'set-cookie', 'absent'].map(
        (name) => c.req.header(name) ?? null,
      ),
      all: c.req.header(),
    });
  });
  const headers = new Headers();
  for (let i = 0; i < RAW.length; i += 2) headers.append(RAW[i] as string, RAW[i + 1] as string);
  const answer = await app.request('/', { headers }, { incoming: { rawHeaders: RAW } });
  return answer.json();
}

describe('headers read from the incoming request', () => {
  it('answer as Hono reading a WHATWG Headers does', async () => {
    expect(await seen(true)).toEqual(await seen(false));
  });
});
