import { describe, expect, it } from 'vitest';
import { ResilientListWatch } from '../../server/k8s/list-watch.ts';
import { decodedEvent, type WatchTransport } from '../../server/k8s/watch-stream.ts';
import { createLogger } from '../../server/log.ts';

type Callback = (type: string, object: unknown) => void;

/**
 * A list-watch over a fake API server whose every watch is answered by `answer` (its events,
 * then it ends): counts the lists, and when each happened.
 */
function listWatchOver(answer: (callback: Callback, done: (error: unknown) => void) => void) {
  const lists: number[] = [];
  const started = Date.now();
  const watch: WatchTransport = {
    async watch(_path, _params, onEvent, done) {
      setImmediate(() => answer((type, object) => onEvent(decodedEvent(type, object)), done));
      return new AbortController();
    },
  };
  const stream = new ResilientListWatch({
    kind: 'Deployment',
    optional: false,
    scope: '',
    path: '/apis/apps/v1/deployments',
    list: async () => {
      lists.push(Date.now() - started);
      return { items: [], resourceVersion: String(1000 + lists.length) };
    },
    watch,
    onObject: () => {},
    idleTimeoutMs: 60_000,
    resyncMs: 600_000,
    logger: createLogger('silent'),
  });
  return { stream, lists };
}

const gone = { code: 410, message: 'too old resource version' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ResilientListWatch after 410 Gone', () => {
  it('relists at once after a 410 that follows a healthy watch', async () => {
    let watches = 0;
    const { stream, lists } = listWatchOver((callback) => {
      if (++watches > 1) return; // the watch after the relist stays open
      callback('BOOKMARK', { metadata: { resourceVersion: '2000' } });
      callback('ERROR', gone);
    });
    stream.start();
    await sleep(300);
    await stream.stop();
    expect(lists).toHaveLength(2);
    expect((lists[1] as number) - (lists[0] as number)).toBeLessThan(100);
  });

  it('backs off instead of relisting in a loop when every watch right after a list is 410', async () => {
    const { stream, lists } = listWatchOver((callback) => callback('ERROR', gone));
    stream.start();
    await sleep(1_500);
    await stream.stop();
    // The first 410 relists at once; then 125–250, 250–500, 500–1000 ms between relists.
    expect(lists.length).toBeGreaterThanOrEqual(3);
    expect(lists.length).toBeLessThanOrEqual(5);
    expect((lists[2] as number) - (lists[1] as number)).toBeGreaterThanOrEqual(100);
  });
});

describe('ResilientListWatch of an optional kind (Argo Rollouts)', () => {
  it('a list refused by RBAC (403) is the kind absent, not a failing stream, and is looked at again at each resync', async () => {
    const lists: number[] = [];
    const stream = new ResilientListWatch({
      kind: 'Rollout',
      optional: true,
      scope: '',
      path: '/apis/argoproj.io/v1alpha1/rollouts',
      list: async () => {
        lists.push(Date.now());
        throw Object.assign(new Error('rollouts.argoproj.io is forbidden'), { code: 403 });
      },
      watch: { watch: async () => new AbortController() },
      onObject: () => {},
      idleTimeoutMs: 60_000,
      resyncMs: 200,
      logger: createLogger('silent'),
    });
    stream.start();
    await sleep(500);
    const health = stream.health();
    await stream.stop();
    expect(health).toMatchObject({ status: 'absent', lastError: null });
    expect(lists.length).toBeGreaterThanOrEqual(2);
    expect(lists.length).toBeLessThanOrEqual(4);
  });
});
