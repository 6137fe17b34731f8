import { randomBytes } from 'node:crypto';
import { apiClient } from '../test/helpers/api.ts';
import { rolloutSteps } from '../test/helpers/k8s-deployments.ts';
import { metricValue, watcherEnv } from '../test/helpers/k8s-watch.ts';
import { startKubeApiServer } from '../test/helpers/kube-apiserver.ts';
import { TOKEN, withContext } from './context.ts';

const ROLLOUTS = Number(process.env.BENCH_ROLLOUTS ?? 400);
const CREATE_CONCURRENCY = 16;

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
 * Issue 16: Deployment watch events turned into ledger signals per second, end to end: every
 * rollout's five status updates are written to the stand-in API server at once, and the clock
 * stops when no record is in progress any more (each then must be success).
 */
export async function benchWatch(): Promise<void> {
  const apiserver = await startKubeApiServer();
  try {
    await withContext(watcherEnv(apiserver), async ({ server }) => {
      const api = apiClient(server.url, TOKEN);
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
        rollouts[i] = rolloutSteps(app, {
          image: `ghcr.io/acme/shop:${sha}`,
          previousImage: 'ghcr.io/acme/shop:previous',
          revision: 2,
          startedAt: new Date(),
        });
      };
      for (let i = 0; i < ROLLOUTS; i += CREATE_CONCURRENCY) {
        await Promise.all(
          Array.from({ length: Math.min(CREATE_CONCURRENCY, ROLLOUTS - i) }, (_, j) => create(i + j)),
        );
      }
      const from = apiserver.resourceVersion;
      const started = performance.now();
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
      for (;;) {
        const { body } = await api.list({ repository: 'acme/shop', state: 'in_progress', limit: '1' });
        if (body.deployments.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const seconds = (performance.now() - started) / 1000;
      const succeeded = await countInState(api, 'success');
      if (succeeded !== ROLLOUTS) throw new Error(`${succeeded} of ${ROLLOUTS} records are success`);
      const baseline = await rawWatch(apiserver.url, from, events);
      console.log(`\n## Kubernetes watch (${ROLLOUTS} rollouts, ${events} watch events)\n`);
      console.log('| what | events/s | vs baseline |');
      console.log('| --- | ---: | ---: |');
      console.log(`| raw watch stream read and parsed (baseline) | ${baseline.toFixed(0)} | baseline |`);
      console.log(
        `| watcher → ledger, until every record is success | ${(events / seconds).toFixed(0)} | ${((events / seconds / baseline) * 100).toFixed(1)} % |`,
      );
      const recorded = await metricValue(server, 'deployledger_k8s_rollout_observations_total', {
        outcome: 'reported',
      });
      console.log(
        `\n${ROLLOUTS} rollouts settled in ${seconds.toFixed(2)} s; ${recorded} rollout steps written (a burst of one object's updates collapses into its latest state while a batch is written)`,
      );
    });
  } finally {
    await apiserver.close();
  }
}
