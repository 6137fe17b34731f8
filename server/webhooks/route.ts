import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { storeDelivery } from '../db/deliveries.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { badRequest, Problem, unauthorized } from '../http/problem.ts';
import type { Logger } from '../log.ts';
import type { SignatureVerifier } from './verify.ts';

export interface WebhookRouteDeps {
  prisma: PrismaClient;
  verifier: SignatureVerifier;
  logger: Logger;
  bodyLimit: number;
  /** Told when a new delivery is stored, so it is processed at once rather than at the next poll. */
  onStored: () => void;
}

/**
 * `POST /webhooks/github`: verify the signature on the raw body, store the delivery, acknowledge.
 * Processing happens afterwards from the store (server/jobs/delivery-worker.ts), so a slow or
 * failing handler never costs GitHub's 10-second budget, and nothing acknowledged is lost.
 */
export function webhookRoutes(deps: WebhookRouteDeps) {
  const app = new Hono();
  app.post(
    '/github',
    bodyLimit({
      maxSize: deps.bodyLimit,
      onError: () => {
        throw new Problem(413, 'Body too large', `The delivery is larger than ${deps.bodyLimit} bytes.`);
      },
    }),
    async (c) => {
      if (!deps.verifier.configured) {
        throw new Problem(
          503,
          'Webhooks not configured',
          'Set GITHUB_WEBHOOK_SECRET to receive GitHub deliveries.',
        );
      }
      const event = c.req.header('x-github-event');
      const deliveryId = c.req.header('x-github-delivery');
      const raw = await c.req.text();
      if (!(await deps.verifier.verify(raw, c.req.header('x-hub-signature-256')))) {
        throw unauthorized(
          'X-Hub-Signature-256 does not match the body for any configured GITHUB_WEBHOOK_SECRET.',
        );
      }
      if (!event || !deliveryId)
        throw badRequest('X-GitHub-Event and X-GitHub-Delivery headers are required.');
      if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
        throw new Problem(415, 'Unsupported media type', 'Set the webhook content type to application/json.');
      }
      let payload: { action?: unknown; zen?: unknown };
      try {
        payload = JSON.parse(raw);
      } catch (error) {
        throw badRequest(`The delivery is not valid JSON: ${(error as Error).message}`);
      }
      if (event === 'ping') return c.json({ status: 'pong', zen: payload.zen ?? null });

      const log = deps.logger.child({ delivery_id: deliveryId, event });
      let stored: 'stored' | 'duplicate';
      try {
        stored = await storeDelivery(deps.prisma, {
          deliveryId,
          event,
          action: typeof payload.action === 'string' ? payload.action : null,
          payload: raw,
        });
      } catch (error) {
        log.error({ err: error }, 'delivery could not be stored');
        throw new Problem(
          503,
          'Delivery not stored',
          'The delivery could not be stored; redeliver it later.',
        );
      }
      log.info({ stored }, 'delivery received');
      if (stored === 'duplicate') return c.json({ status: 'duplicate', delivery: deliveryId });
      deps.onStored();
      return c.json({ status: 'accepted', delivery: deliveryId }, 202);
    },
  );
  return app;
}
