/**
 * `npm run soak -- --minutes 10 [--rate 2] [--lanes 8] [--fault-every 20]`: a steady mix of the
 * Action's HTTP calls, signed deliveries and rollouts against two replicas on PostgreSQL while
 * faults are injected; prints figures every 10 s and stops by itself. Exits 1 on a violation
 * or a deployment that did not end as it should.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { query } from '../helpers/postgres.ts';
import { startCluster } from './harness.ts';
import {
  actionCall,
  type HttpCounts,
  newRun,
  progressingSteps,
  type Run,
  recordsOf,
  rolloutOf,
  workflowRunCompleted,
} from './producers.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '2' },
    lanes: { type: 'string', default: '8' },
    'fault-every': { type: 'string', default: '20' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const lanes = Number(values.lanes);
const faultEveryMs = Number(values['fault-every']) * 1000;
if (!(minutes > 0 && rate > 0 && lanes > 0 && faultEveryMs > 0)) {
  throw new Error(
    '--minutes, --rate (deployments per second), --lanes and --fault-every must be positive numbers',
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const t0 = Date.now();
const elapsed = () => `${Math.round((Date.now() - t0) / 1000)}s`.padStart(5);

console.log(
  `soak: ${minutes} min, ${rate} deployment(s)/s over ${lanes} environments, a fault every ${faultEveryMs / 1000} s`,
);
const cluster = await startCluster({
  echo: () => ({ delayMs: Math.floor(Math.random() * 500), redeliveries: Math.random() < 0.2 ? 1 : 0 }),
  env: { DEPLOYLEDGER_DB_POOL_SIZE: '8' },
});
const counts: HttpCounts = { requests: 0, failed: 0, retries: 0 };
const flows: Run[] = [];
let finished = 0;
let flowErrors = 0;
let faults = 0;
let violations = 0;
const until = t0 + minutes * 60_000;
const live = () => cluster.live();
const pickReplica = () => {
  const up = live();
  return up[Math.floor(Math.random() * up.length)]!.url;
};

// Deployments per second across all lanes: each lane takes a ticket before it starts one.
let tickets = 0;
const ticketTimer = setInterval(() => {
  tickets = Math.min(tickets + 1, lanes);
}, 1000 / rate);

async function lane(index: number) {
  let n = 0;
  while (Date.now() < until) {
    if (tickets <= 0) {
      await sleep(20);
      continue;
    }
    tickets--;
    const run = newRun(1_000_000 + index * 100_000 + n++, `soak-${index}`);
    flows.push(run);
    try {
      const started = await actionCall(pickReplica, run, 'start', counts, 120_000);
      if (started.status !== 201)
        throw new Error(`start answered ${started.status}: ${JSON.stringify(started.body)}`);
      const steps = rolloutOf(run, { revision: n + 1 });
      for (const object of [...progressingSteps(steps), steps.complete]) {
        cluster.kube.apply(object);
        await sleep(50);
      }
      const ended = await actionCall(pickReplica, run, 'success', counts, 120_000);
      if (ended.status !== 200)
        throw new Error(`final answered ${ended.status}: ${JSON.stringify(ended.body)}`);
      await cluster.deliverer.deliver(workflowRunCompleted(run, 'success'), Math.random() < 0.3 ? 1 : 0);
      finished++;
    } catch (error) {
      flowErrors++;
      console.error(`${elapsed()} flow ${run.runId}-1 failed: ${(error as Error).message}`);
    }
  }
}

const injections: Array<[string, () => Promise<void>]> = [
  [
    'GitHub API down 5 s',
    async () => {
      cluster.githubProxy.setDown(true);
      await sleep(5_000);
      cluster.githubProxy.setDown(false);
    },
  ],
  [
    'PostgreSQL connections killed for 2 s',
    async () => {
      const stop = Date.now() + 2_000;
      while (Date.now() < stop) {
        await query(
          cluster.db.url,
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        ).catch(() => {});
        await sleep(100);
      }
    },
  ],
  [
    'replica SIGKILLed, then restarted',
    async () => {
      const index = Math.floor(Math.random() * cluster.replicas.length);
      await cluster.replicas[index]!.stop('SIGKILL');
      await sleep(3_000);
      await cluster.restartReplica(index);
    },
  ],
  ['watch streams cut', async () => cluster.kube.dropWatches()],
  [
    'watch history expired (410 Gone)',
    async () => {
      cluster.kube.expireHistory();
      cluster.kube.expireWatches();
    },
  ],
];

async function injectFaults() {
  let next = 0;
  while (Date.now() < until - faultEveryMs / 2) {
    await sleep(faultEveryMs);
    if (Date.now() >= until) break;
    const [name, inject] = injections[next++ % injections.length]!;
    faults++;
    console.log(`${elapsed()} fault: ${name}`);
    await inject().catch((error: Error) =>
      console.error(`${elapsed()} fault ${name} failed: ${error.message}`),
    );
  }
}

function rssMb(pid: number | undefined): string {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return `${Math.round(kb / 1024)}`;
  } catch {
    return '-';
  }
}

async function report() {
  const check = await cluster.check();
  violations = check.violations + (check.code !== 0 && check.violations === 0 ? 1 : 0);
  const fivexx = counts.failed + cluster.deliverer.counts.failed;
  const retries = counts.retries + cluster.deliverer.counts.redelivered;
  const rss = cluster.replicas.map((replica) => rssMb(replica.process.pid)).join('/');
  console.log(
    `${elapsed()} deployments ${flows.length} (done ${finished}) | requests ${counts.requests + cluster.deliverer.counts.sent} | 5xx/failed ${fivexx} | retries ${retries} | faults ${faults} | violations ${violations} | RSS MB ${rss}`,
  );
  // The harness keeps every log line; a long run needs only the recent ones.
  for (const replica of cluster.replicas) replica.logs.splice(0, Math.max(0, replica.logs.length - 200));
}

const reporter = (async () => {
  while (Date.now() < until) {
    await sleep(10_000);
    await report().catch((error: Error) => console.error(`${elapsed()} report failed: ${error.message}`));
  }
})();

await Promise.all([...Array.from({ length: lanes }, (_, i) => lane(i)), injectFaults(), reporter]);
clearInterval(ticketTimer);
console.log(`${elapsed()} load stopped; waiting for the outbox and deliveries to drain`);
await cluster.drained(180_000).catch((error: Error) => console.error(error.message));
await report();

let wrong = 0;
for (let index = 0; index < lanes; index++) {
  const records = await recordsOf(cluster, `soak-${index}`);
  const keys = new Set(records.map((record) => record.key));
  for (const run of flows.filter((flow) => flow.environment === `soak-${index}`)) {
    if (!keys.has(`${run.runId}-1`)) wrong++;
  }
  // Every deployment succeeded; all but the newest of each environment became inactive after it.
  const bad = records.filter(
    (record, i) => record.state !== (i === 0 ? 'success' : 'inactive') || !record.deployed_at,
  );
  wrong += bad.length;
}
const [db] = await query<{ records: string; events: string }>(
  cluster.db.url,
  `SELECT (SELECT count(*) FROM deployment) AS records, (SELECT count(*) FROM deployment_event) AS events`,
);
console.log(
  `soak summary: ${minutes} min | deployments ${flows.length} (flows failed ${flowErrors}) | records ${db?.records}, events ${db?.events} | requests ${counts.requests + cluster.deliverer.counts.sent} | 5xx/failed ${counts.failed + cluster.deliverer.counts.failed} | retries ${counts.retries + cluster.deliverer.counts.redelivered} | faults ${faults} | GitHub deployments ${cluster.github.deployments.length} | wrong or missing records ${wrong} | violations ${violations}`,
);
const crashes = cluster.crashes();
for (const crash of crashes) console.error(`a replica crashed — ${crash}`);
await cluster.stop();
process.exit(violations === 0 && wrong === 0 && flowErrors === 0 && crashes.length === 0 ? 0 : 1);
