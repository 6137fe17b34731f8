import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../helpers/api.ts';
import { type Delivery, delivery, sample, send } from '../helpers/deliveries.ts';
import { createTestDatabase, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const SECRET = 'webhook-secret-bad-input';
const TOKEN = 'test-key-bad-deliveries-0123456789';
const REPOSITORY = 'acme/bad-hooks';

function statusDelivery(environment: string): Delivery {
  const payload = sample('deployment_status', (p) => p.deployment_status.state === 'in_progress');
  payload.repository.full_name = REPOSITORY;
  payload.deployment.environment = environment;
  return delivery('deployment_status', payload);
}

const raw = (event: string, body: string): Delivery => ({ event, id: crypto.randomUUID(), body });

async function unprocessableCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line =
    /^deployledger_webhook_deliveries_unprocessable_total\{event="deployment_status"\} (\S+)$/m.exec(text);
  return Number(line?.[1] ?? 0);
}

describe.each([
  ['PostgreSQL', true],
  ['embedded database', false],
])('signed deliveries that can never be applied (%s)', (_label, postgres) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let server: RunningServer;
  const records = async () =>
    (await apiClient(server.url, TOKEN).list({ repository: REPOSITORY })).body.deployments as unknown[];

  beforeAll(async () => {
    db = postgres ? await createTestDatabase() : undefined;
    server = await startServer({
      DATABASE_URL: db?.url,
      GITHUB_WEBHOOK_SECRET: SECRET,
      DEPLOYLEDGER_API_KEYS: `${REPOSITORY}=${TOKEN}`,
    });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('a NUL byte → 202 "unprocessable": kept with the reason, counted, never applied, never a 5xx', async () => {
    const d = statusDelivery('prod\u0000uction');
    expect(d.body).toContain('\\u0000');
    const answer = await send(server.url, SECRET, d);
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ status: 'unprocessable', delivery: d.id });
    expect(JSON.stringify(answer.body)).toContain('deployment.environment');
    expect(await unprocessableCount(server.url)).toBe(1);

    // A redelivery of the same delivery is a duplicate, not counted again.
    expect(await send(server.url, SECRET, d)).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    expect(await unprocessableCount(server.url)).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, 2500)); // a delivery-worker poll
    expect(await records()).toEqual([]);
    expect(server.logs.join('\n')).toMatch(/"msg":"delivery kept as unprocessable; not applied"/);
    if (db) {
      const [row] = await query<{ done_at: Date | null; last_error: string; environment: string }>(
        db.url,
        "SELECT done_at, last_error, payload::json->'deployment'->>'environment' AS environment FROM webhook_delivery WHERE delivery_id = $1",
        [d.id],
      );
      expect(row?.done_at).not.toBeNull();
      expect(row?.last_error).toMatch(/^unprocessable: deployment\.environment contains a NUL byte/);
      expect(row?.environment).toBe('prod\uFFFDuction');
    }
  });

  it('a lone surrogate → 202 "unprocessable" likewise', async () => {
    const d = statusDelivery('surrogate');
    d.body = d.body.replace('"surrogate"', '"surr\\ud800gate"');
    const answer = await send(server.url, SECRET, d);
    expect(answer.status).toBe(202);
    expect(answer.body.status).toBe('unprocessable');
    expect(JSON.stringify(answer.body)).toContain('surrogate');
    expect(await unprocessableCount(server.url)).toBe(2);
    expect(await records()).toEqual([]);
  });

  it('a body that is null, an array, a string or a number → 400, nothing stored', async () => {
    const before = db
      ? (await query<{ n: string }>(db.url, 'SELECT count(*) AS n FROM webhook_delivery'))[0]?.n
      : undefined;
    for (const [body, kind] of [
      ['null', 'null'],
      ['[1,2]', 'an array'],
      ['"deployment"', 'a string'],
      ['42', 'a number'],
    ]) {
      for (const event of ['deployment_status', 'ping']) {
        const answer = await send(server.url, SECRET, raw(event, body as string));
        expect(answer.status, `${event} ${body}`).toBe(400);
        expect(answer.body.detail).toContain(`this body is ${kind}`);
      }
    }
    if (db) {
      const after = (await query<{ n: string }>(db.url, 'SELECT count(*) AS n FROM webhook_delivery'))[0]?.n;
      expect(after).toBe(before);
    }
    expect(await records()).toEqual([]);
  });
});
