import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { apiClient } from '../test/helpers/api.ts';
import { rolloutSteps } from '../test/helpers/k8s-deployments.ts';
import { metricValue, watcherEnv } from '../test/helpers/k8s-watch.ts';
import { type KubeApiServer, startKubeApiServer } from '../test/helpers/kube-apiserver.ts';
import { TOKEN, withContext } from './context.ts';
import { cpuSnapshot, describeCpu } from './machine-cpu.ts';
import { eachBetween, median } from './measure.ts';

const ROLLOUTS = Number(process.env.BENCH_ROLLOUTS ?? 1000);
const CREATE_CONCURRENCY = 16;
// How often the clock looks whether every record has left in_progress: a fraction of the run.
const POLL_MS = 2;
// A read of the stream lasts a tenth of a second, and its rate swung from 47 000 to 79 000 events/s
// between runs on this machine: the median of a few.
const BASELINE_READS = 5;
// A wave lasts a third to two thirds of a second, and one wave's rate swung between 25 and 50 % of
// the baseline within one run of one build (sessions 18 and 21): the median of nine. Three waves
// left the median to one wave's luck (23.6, 27.6 and 31.3 % in session 20's full run, where runs of
// the part alone gave a median of 30 %); nine add about 20 s to the run.
const MEASURED_WAVES = Number(process.env.BENCH_WATCH_WAVES ?? 9);

/** Reads a watch stream from `resourceVersion` until `count` events arrived: the baseline. */
async function rawWatch(url: string, resourceVersion: number, count: number): Promise<number> {
  const started = performance.now();
  const response = await fetch(
    `${url}/apis/apps/v1/deployments?watch=true&resourceVersion=${resourceVersion}`,
  );
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let seen = 0;
  while (seen < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) if (line && JSON.parse(line).type !== 'BOOKMARK') seen++;
  }
  await reader.cancel();
  return seen / ((performance.now() - started) / 1000);
}

/** How many records of the bench repository are in `state` (every page). */
async function countInState(api: ReturnType<typeof apiClient>, state: string): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const query: Record<string, string> = { repository: 'acme/shop', state, limit: '200' };
    if (cursor) query.cursor = cursor;
    const { body } = await api.list(query);
    count += body.deployments.length;
    cursor = body.next_cursor;
  } while (cursor);
  return count;
}

/**
 * Waits until no record of the bench is active any more, asking the database itself whether one
 * is (a prepared statement that stops at the first active row, so looking often neither loads the
 * machine under test nor adds a coarse poll interval to the figure). A count of every active row,
 * parsed and planned at each look, took CPU the two cores' wave needs: the watcher's figure was
 * 8.4–9.7 k events/s with it against 9.4–10.0 k with this, in alternating runs (session 17).
 */
async function settled(client: pg.Client): Promise<void> {
  for (;;) {
    const { rows } = await client.query<{ active: boolean }>({
      name: 'bench-watch-active',
      text: `SELECT EXISTS (SELECT 1 FROM deployment WHERE repository_key = 'acme/shop'
        AND state IN ('pending', 'queued', 'in_progress')) AS active`,
    });
    if (rows[0]?.active === false) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Creates `count` running records (keys from `first` on) and their rollouts, not yet applied. */
async function openRollouts(api: ReturnType<typeof apiClient>, first: number, count: number) {
  const rollouts: Array<ReturnType<typeof rolloutSteps>> = [];
  const create = async (i: number) => {
    const sha = randomBytes(20).toString('hex');
    const key = `${800_000 + i}-1`;
    const environment = `watch-${i}`;
    await api.create(key, { repository: 'acme/shop', environment, sha, state: 'in_progress' });
    const app = {
      namespace: 'bench',
      name: `app-${i}`,
      annotations: {
        'deployledger.dev/repository': 'acme/shop',
        'deployledger.dev/environment': environment,
        'deployledger.dev/key': key,
      },
    };
    rollouts.push(
      rolloutSteps(app, {
        image: `ghcr.io/acme/shop:${sha}`,
        previousImage: 'ghcr.io/acme/shop:previous',
        revision: 2,
        startedAt: new Date(),
      }),
    );
  };
  for (let i = first; i < first + count; i += CREATE_CONCURRENCY) {
    const batch = Math.min(CREATE_CONCURRENCY, first + count - i);
    await Promise.all(Array.from({ length: batch }, (_, j) => create(i + j)));
  }
  return rollouts;
}

/**
 * Writes every rollout's five status updates to the stand-in, held, then sends them at once and
 * waits until no record is in progress in the database: the watch events and the seconds they
 * took, end to end. The clock starts when they are sent, as the baseline's clock starts when its
 * read asks for them: both then pay the stand-in's serialising, neither its making of the objects
 * (a copy each, about a third of the run when it was counted).
 */
async function rollOut(
  apiserver: KubeApiServer,
  databaseUrl: string,
  rollouts: Array<ReturnType<typeof rolloutSteps>>,
  serverPid: number,
): Promise<{ events: number; seconds: number; cpu: string }> {
  const database = new pg.Client({ connectionString: databaseUrl });
  await database.connect();
  const release = apiserver.hold();
  let events = 0;
  for (const steps of rollouts) {
    for (const object of [
      steps.specUpdated,
      steps.firstNewPod,
      steps.oldPodTerminating,
      steps.lastPodStarting,
      steps.complete,
    ]) {
      apiserver.apply(object);
      events++;
    }
  }
  const before = cpuSnapshot();
  const started = performance.now();
  release();
  const seconds = await settled(database)
    .then(() => (performance.now() - started) / 1000)
    .finally(() => database.end());
  return { events, seconds, cpu: describeCpu(before, cpuSnapshot(), seconds, serverPid) };
}

/**
 * Issue 16: Deployment watch events turned into ledger signals per second, end to end: every
 * rollout's five status updates are written to the stand-in API server at once, and the clock
 * stops when no record is in progress any more in the database (each then must be success, as
 * the API answers). A first wave of as many rollouts runs unmeasured (the watcher's code paths are
 * new to the server, as in the other parts' warm-up), then MEASURED_WAVES waves of new rollouts,
 * each rated against the baseline read BASELINE_READS times just before and just after it, the
 * median wave counted; the baseline's first read of all (it compiles the parse) is not counted.
 * The stand-in sends bookmarks as an API server does, so the watcher's idle timeout never
 * reconnects in the middle of the run.
 */
export async function benchWatch(): Promise<void> {
  const apiserver = await startKubeApiServer({ bookmarkEveryMs: 1000 });
  try {
    await withContext(watcherEnv(apiserver), async ({ server, databaseUrl }) => {
      const api = apiClient(server.url, TOKEN);
      const pid = server.process.pid ?? 0;
      const warmFrom = apiserver.resourceVersion;
      const warmUp = await rollOut(apiserver, databaseUrl, await openRollouts(api, 0, ROLLOUTS), pid);
      const { events } = warmUp;
      // The stream's first read compiles its parse: not counted (the baseline before session 11).
      const firstRead = await rawWatch(apiserver.url, warmFrom, events);
      // The median of BASELINE_READS reads of the latest wave's stream: every wave is as many events
      // of as many new objects, so the read before a wave takes the previous wave's.
      let latestFrom = warmFrom;
      const warmReads: number[] = [];
      const readBaseline = async () => {
        const reads: number[] = [];
        for (let i = 0; i < BASELINE_READS; i++)
          reads.push(await rawWatch(apiserver.url, latestFrom, events));
        warmReads.push(...reads);
        return median(reads);
      };
      // Each wave against the baseline read just before and just after it (the machine's speed
      // drifts within a minute), as the API parts' goals are; the median wave is counted.
      const measured = await eachBetween(
        readBaseline,
        Array.from({ length: MEASURED_WAVES }, (_, i) => async () => {
          const rollouts = await openRollouts(api, (i + 1) * ROLLOUTS, ROLLOUTS);
          latestFrom = apiserver.resourceVersion;
          return rollOut(apiserver, databaseUrl, rollouts, pid);
        }),
      );
      const waves = measured.map(({ result, before, after }) => {
        const baseline = (before + after) / 2;
        return { ...result, baseline, share: events / result.seconds / baseline };
      });
      const records = (1 + MEASURED_WAVES) * ROLLOUTS;
      const succeeded = await countInState(api, 'success');
      if (succeeded !== records) throw new Error(`${succeeded} of ${records} records are success`);
      const byShare = [...waves].sort((a, b) => a.share - b.share);
      const { seconds, cpu, share, baseline } = byShare[
        Math.floor((byShare.length - 1) / 2)
      ] as (typeof waves)[number];
      const percent = (value: number) => `${(value * 100).toFixed(1)} %`;
      console.log(
        `\n## Kubernetes watch (${ROLLOUTS} rollouts, ${events} watch events a wave, ${MEASURED_WAVES} waves after one unmeasured)\n`,
      );
      console.log('| what | events/s | vs baseline |');
      console.log('| --- | ---: | ---: |');
      console.log(
        `| raw watch stream read and parsed (baseline: the median of ${BASELINE_READS} reads before and after the wave; all reads ${Math.min(...warmReads).toFixed(0)}-${Math.max(...warmReads).toFixed(0)}) | ${baseline.toFixed(0)} | baseline |`,
      );
      console.log(
        `| a wave's stream, its first read (the baseline before session 11; not counted) | ${firstRead.toFixed(0)} | ${percent(firstRead / baseline)} |`,
      );
      console.log(
        `| watcher → ledger, until every record is success (the median of ${MEASURED_WAVES} waves: ${waves.map((w) => percent(w.share)).join(', ')}) | ${(events / seconds).toFixed(0)} | ${percent(share)} |`,
      );
      const recorded = await metricValue(server, 'deployledger_k8s_rollout_observations_total', {
        outcome: 'reported',
      });
      console.log(
        `\n${ROLLOUTS} rollouts settled in ${waves.map((w) => w.seconds.toFixed(2)).join(', ')} s (the unmeasured wave before them: ${warmUp.seconds.toFixed(2)} s); ${recorded} rollout steps written over all ${MEASURED_WAVES + 1} waves (a burst of one object's updates collapses into its latest state while a batch is written)`,
      );
      console.log(`\nCPU in the median wave: ${cpu}.`);
    });
  } finally {
    await apiserver.close();
  }
}
