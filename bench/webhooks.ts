import { createHmac, randomUUID } from 'node:crypto';
import { sample } from '../test/helpers/deliveries.ts';
import { bareHonoBaseline, COLD, rawPgInserter } from './api.ts';
import { type BenchContext, SECRET } from './context.ts';
import {
  bracketed,
  CONNECTIONS,
  cpuMs,
  type Figure,
  load,
  printGoals,
  printTable,
  rssAfterLoad,
  SECONDS,
  WARMUP,
} from './measure.ts';
import { BACKLOG, deliveryCounts, drainDeliveries, foldBacklog } from './webhook-backlog.ts';

/** Issue 4: signed deliveries received (verified, stored, acknowledged) per second. */
export async function benchWebhooks({ server, bareHono, databaseUrl }: BenchContext): Promise<void> {
  const baseline = await bareHonoBaseline(bareHono);
  const rawInsert = await rawPgInserter(databaseUrl);
  const figures: Figure[] = [baseline, await rawInsert.measure()];
  // The new server's first burst is its warm-up; what it stored is folded before the measured one.
  figures.push(await signedDeliveries(server.url, true));
  await drainDeliveries(databaseUrl);
  const pid = server.process.pid ?? 0;
  let burst = { cpuMs: 0, stored: 0, folded: 0 };
  const measuredBurst = async () => {
    const countsBefore = await deliveryCounts(databaseUrl);
    const cpuBefore = cpuMs(pid);
    const figure = await signedDeliveries(server.url);
    const countsAfter = await deliveryCounts(databaseUrl);
    burst = {
      cpuMs: cpuMs(pid) - cpuBefore,
      stored: countsAfter.stored - countsBefore.stored,
      folded: countsAfter.folded - countsBefore.folded,
    };
    // The worker folds the burst once it has passed: done before the baseline is measured again.
    await drainDeliveries(databaseUrl);
    return figure;
  };
  const goals = await bracketed(rawInsert.again, [
    { goal: 'deliveries stored and acknowledged, vs the raw insert', target: 60, run: measuredBurst },
  ]);
  await rawInsert.end();
  figures.push(...goals.map((row) => row.figure));
  printTable('GitHub deliveries on PostgreSQL', figures, baseline);
  printGoals("Issue 16's goal for deliveries", goals);
  // The worker folds beside the receiver during the burst (Arrivals.quiet): the CPU includes
  // that share, which the folded count tells (each folded delivery costs ~0.1 ms in full claims).
  console.log(
    `\nServer CPU during the burst: ${((burst.cpuMs * 1000) / Math.max(1, burst.stored)).toFixed(0)} µs a delivery stored; ` +
      `${burst.folded} of ${burst.stored} folded during it`,
  );

  // Folding is timed on its own (the worker has folded what the burst above stored).
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
  const bodyOf = (i: number) => `${head}${500_000 + i}${middle}bench-${i % 50}${tail}`;
  const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  // GitHub signs on its own machines: the signatures are made before the load starts, so the
  // client's share of the cores during it is what sending costs (a 9 KB HMAC is ~15 µs).
  const seconds = cold ? WARMUP : SECONDS;
  const first = sent;
  const signatures = Array.from({ length: SIGNED_PER_SECOND * seconds }, (_, k) => sign(bodyOf(first + k)));
  return load(
    `POST /webhooks/github, signed deployment_status${cold ? COLD : ''}`,
    url,
    [
      {
        method: 'POST',
        path: '/webhooks/github',
        setupRequest: (req) => {
          const i = sent++;
          const body = bodyOf(i);
          return {
            ...req,
            headers: {
              'content-type': 'application/json',
              'x-github-event': 'deployment_status',
              'x-github-delivery': randomUUID(),
              'x-hub-signature-256': signatures[i - first] ?? sign(body),
            },
            body,
          };
        },
      },
    ],
    [202],
    CONNECTIONS,
    seconds,
  );
}

/** Signatures made ahead per second of a run (more than the receiver takes here; past them, signed as sent). */
const SIGNED_PER_SECOND = 10_000;

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
