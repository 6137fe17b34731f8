import { createHmac, randomUUID } from 'node:crypto';
import { sample } from '../test/helpers/deliveries.ts';
import { bareHonoBaseline, COLD, rawPgInsert } from './api.ts';
import { type BenchContext, SECRET } from './context.ts';
import {
  CONNECTIONS,
  cpuMs,
  type Figure,
  load,
  printTable,
  rssAfterLoad,
  SECONDS,
  WARMUP,
} from './measure.ts';
import { BACKLOG, deliveryCounts, drainDeliveries, foldBacklog } from './webhook-backlog.ts';

/** Issue 4: signed deliveries received (verified, stored, acknowledged) per second. */
export async function benchWebhooks({ server, bareHono, databaseUrl }: BenchContext): Promise<void> {
  const baseline = await bareHonoBaseline(bareHono);
  const figures: Figure[] = [baseline, await rawPgInsert(databaseUrl)];
  // The new server's first burst is its warm-up; what it stored is folded before the measured one.
  figures.push(await signedDeliveries(server.url, true));
  await drainDeliveries(databaseUrl);
  const pid = server.process.pid ?? 0;
  const countsBefore = await deliveryCounts(databaseUrl);
  const cpuBefore = cpuMs(pid);
  figures.push(await signedDeliveries(server.url));
  const burstCpu = cpuMs(pid) - cpuBefore;
  const countsAfter = await deliveryCounts(databaseUrl);
  const stored = countsAfter.stored - countsBefore.stored;
  const folded = countsAfter.folded - countsBefore.folded;
  printTable('GitHub deliveries on PostgreSQL', figures, baseline);
  // The worker folds beside the receiver during the burst (Arrivals.quiet): the CPU includes
  // that share, which the folded count tells (each folded delivery costs ~0.1 ms in full claims).
  console.log(
    `\nServer CPU during the burst: ${((burstCpu * 1000) / Math.max(1, stored)).toFixed(0)} µs a delivery stored; ` +
      `${folded} of ${stored} folded during it`,
  );

  // Folding is timed on its own: first let the worker finish what the burst above stored.
  await drainDeliveries(databaseUrl);
  const raw = figures[1] as Figure;
  const backlog = await foldBacklog(databaseUrl);
  printTable(`Folding a backlog of ${BACKLOG} stored deliveries`, [raw, backlog], raw);
  console.log(`\n${backlog.name}: ${backlog.note}`);
  console.log(`Server RSS: ${await rssAfterLoad(server.process.pid ?? 0)}`);
}

/**
 * Signed `deployment_status` deliveries (50 environments), received at CONNECTIONS concurrent,
 * each of a deployment of its own. The client shares the server's cores, so each body is spliced
 * from the sample's JSON text around its deployment id and environment (as JSON.stringify would
 * write them) instead of stringifying 9 KB per request; it is still signed per request.
 */
export function signedDeliveries(url: string, cold = false): Promise<Figure> {
  const template = sample('deployment_status', (p) => p.deployment_status.state === 'success');
  template.repository.full_name = 'acme/shop';
  template.deployment.id = ID_MARK;
  template.deployment.environment = ENVIRONMENT_MARK;
  const [head, rest] = split(JSON.stringify(template), String(ID_MARK));
  const [middle, tail] = split(rest, ENVIRONMENT_MARK);
  return load(
    `POST /webhooks/github, signed deployment_status${cold ? COLD : ''}`,
    url,
    [
      {
        method: 'POST',
        path: '/webhooks/github',
        setupRequest: (req) => {
          const i = sent++;
          const body = `${head}${500_000 + i}${middle}bench-${i % 50}${tail}`;
          return {
            ...req,
            headers: {
              'content-type': 'application/json',
              'x-github-event': 'deployment_status',
              'x-github-delivery': randomUUID(),
              'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
            },
            body,
          };
        },
      },
    ],
    [202],
    CONNECTIONS,
    cold ? WARMUP : SECONDS,
  );
}

/** Deliveries sent so far: each run's are of deployments of their own. */
let sent = 0;

const ID_MARK = 987_654_321_012;
const ENVIRONMENT_MARK = 'bench-environment-mark';

/** The text before and after the one place `mark` occurs in it. */
function split(text: string, mark: string): [string, string] {
  const at = text.indexOf(mark);
  if (at < 0 || text.indexOf(mark, at + 1) >= 0) throw new Error(`"${mark}" must occur once in the sample`);
  return [text.slice(0, at), text.slice(at + mark.length)];
}
