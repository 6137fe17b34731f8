import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { storeUnprocessableDelivery } from '../db/deliveries.ts';
import type { DeliveryInbox } from '../db/delivery-inbox.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import {
  badRequest,
  DomainError,
  databaseUnavailable,
  tooLarge,
  unauthorized,
  unavailable,
} from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { SignatureVerifier } from '../webhooks/verify.ts';
import { type FieldIssue, findIllFormed, replaceIllFormed } from '../well-formed.ts';
import { bodyBytes, bodyLimit } from './body-limit.ts';
import { openApiApp, problem } from './openapi.ts';

export interface WebhookRouteDeps {
  prisma: PrismaClient;
  verifier: SignatureVerifier;
  logger: Logger;
  metrics: Metrics;
  bodyLimit: number;
  /** Where deliveries are stored before they are acknowledged. */
  inbox: DeliveryInbox;
  /** Told when a new delivery is stored, so it is processed at once rather than at the next poll. */
  onStored: () => void;
}

// The body is read raw (the signature covers its bytes), so the route declares no body schema.
const receiveGithubWebhook = createRoute({
  method: 'post',
  path: '/github',
  operationId: 'receiveGithubWebhook',
  tags: ['webhooks'],
  summary: 'GitHub webhook deliveries (deployment, deployment_status, workflow_run, ping)',
  security: [],
  responses: {
    202: { description: 'Stored; processed from the store' },
    200: { description: 'A redelivery already stored, or ping' },
    400: problem('Missing GitHub headers or malformed JSON'),
    401: problem('Bad X-Hub-Signature-256'),
    413: problem('Larger than GitHub sends (25 MB)'),
    415: problem('Not JSON (the hook must send application/json)'),
    503: problem('Not stored: redeliver'),
  },
});

/**
 * `POST /webhooks/github`: verify the signature on the raw body, store the delivery, acknowledge.
 * Processing happens afterwards from the store (server/jobs/delivery-worker.ts), so a slow or
 * failing handler never costs GitHub's 10-second budget, and nothing acknowledged is lost.
 */
export function webhookRoutes(deps: WebhookRouteDeps) {
  const app = openApiApp();
  app.openapi(
    {
      ...receiveGithubWebhook,
      middleware: bodyLimit({
        maxSize: deps.bodyLimit,
        onError: () => {
          throw tooLarge(`The delivery is larger than ${deps.bodyLimit} bytes.`);
        },
      }),
    },
    async (c) => {
      if (!deps.verifier.configured) {
        throw unavailable(
          'Webhooks not configured',
          'Set GITHUB_WEBHOOK_SECRET to receive GitHub deliveries.',
        );
      }
      const event = c.req.header('x-github-event');
      const deliveryId = c.req.header('x-github-delivery');
      const read = await bodyBytes(c);
      const body = Buffer.from(read.buffer, read.byteOffset, read.byteLength);
      if (!deps.verifier.verify(body, c.req.header('x-hub-signature-256'))) {
        throw unauthorized(
          'X-Hub-Signature-256 does not match the body for any configured GITHUB_WEBHOOK_SECRET.',
        );
      }
      if (!event || !deliveryId)
        throw badRequest('X-GitHub-Event and X-GitHub-Delivery headers are required.');
      if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
        throw new DomainError(
          'unsupported_media_type',
          'Unsupported media type',
          'Set the webhook content type to application/json.',
        );
      }
      // What GitHub signed is UTF-8; bytes that are not would be stored with replacement characters.
      const raw = decodeUtf8(body);
      const payload = parseObject(raw);
      if (event === 'ping') return c.json({ status: 'pong', zen: payload.zen ?? null });

      // Only the paths that log need the child logger (building one serializes its bindings).
      const log = () => deps.logger.child({ delivery_id: deliveryId, event });
      const action = typeof payload.action === 'string' ? payload.action : null;
      const unstorable = mayHoldIllFormed(body, raw) ? findIllFormed(payload) : [];
      if (unstorable.length > 0)
        return keepUnprocessable(c, deps, log, { deliveryId, event, action, payload, unstorable });

      // The body's bytes are stored, not its decoded text (IncomingDelivery.payload): the text
      // and the parsed payload are garbage before the wait for the commit.
      const stored = await store(log, () => deps.inbox.store({ deliveryId, event, action, payload: body }));
      if (stored === 'duplicate') return c.json({ status: 'duplicate', delivery: deliveryId });
      deps.onStored();
      return c.json({ status: 'accepted', delivery: deliveryId }, 202);
    },
  );
  return app;
}

/** Retrying cannot fix a payload the database cannot store, so no 5xx: keep a readable copy, finished, with the reason. */
async function keepUnprocessable(
  c: Context,
  deps: WebhookRouteDeps,
  log: () => Logger,
  delivery: {
    deliveryId: string;
    event: string;
    action: string | null;
    payload: Record<string, unknown>;
    unstorable: FieldIssue[];
  },
) {
  const { deliveryId, event, action, unstorable } = delivery;
  const reason = `unprocessable: ${unstorable.map((issue) => `${issue.field} ${issue.message}`).join('; ')}`;
  const payload = JSON.stringify(replaceIllFormed(delivery.payload));
  const stored = await store(log, () =>
    storeUnprocessableDelivery(deps.prisma, {
      deliveryId,
      event,
      action: action === null ? null : (replaceIllFormed(action) as string),
      payload,
      reason,
    }),
  );
  if (stored === 'duplicate') return c.json({ status: 'duplicate', delivery: deliveryId });
  deps.metrics.unprocessableDeliveries.inc({ event });
  log().warn({ stored, errors: unstorable }, 'delivery kept as unprocessable; not applied');
  return c.json({ status: 'unprocessable', delivery: deliveryId, errors: unstorable }, 202);
}

/**
 * Whether a JSON body can hold a string the database cannot store (see findIllFormed): a NUL or
 * a surrogate can only be written as a `\u` escape (raw control characters are not JSON, and
 * decoding UTF-8 leaves no lone surrogate), so a body without one needs no walk.
 */
function mayHoldIllFormed(body: Buffer, raw: string): boolean {
  return body.includes('\\u') && ESCAPE.test(raw);
}

const ESCAPE = /\\u(0000|d[89a-f])/i;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw badRequest('The delivery is not valid UTF-8; nothing was stored. GitHub sends UTF-8 JSON.');
  }
}

/** Every GitHub delivery is a JSON object; anything else is refused before it is stored. */
function parseObject(raw: string): Record<string, unknown> {
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch (error) {
    throw badRequest(`The delivery is not valid JSON: ${(error as Error).message}`);
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
    const kind = payload === null ? 'null' : Array.isArray(payload) ? 'an array' : `a ${typeof payload}`;
    throw badRequest(`A GitHub delivery is a JSON object; this body is ${kind}. Nothing was stored.`);
  }
  return payload as Record<string, unknown>;
}

async function store(
  log: () => Logger,
  write: () => Promise<'stored' | 'duplicate'>,
): Promise<'stored' | 'duplicate'> {
  try {
    return await write();
  } catch (error) {
    log().error({ err: error }, 'delivery could not be stored');
    if (isDatabaseUnavailable(error)) throw databaseUnavailable();
    throw unavailable('Delivery not stored', 'The delivery could not be stored; redeliver it later.');
  }
}
