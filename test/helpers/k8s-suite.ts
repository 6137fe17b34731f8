import { afterAll, beforeAll } from 'vitest';
import { API_KEYS, apiClient, TOKEN } from './api.ts';
import { waitFor, watcherCaughtUp, watcherEnv } from './k8s-watch.ts';
import { type KubeApiServer, startKubeApiServer } from './kube-apiserver.ts';
import { createTestDatabase } from './postgres.ts';
import { type RunningServer, startServer } from './server.ts';

/**
 * A server process watching an API server stand-in, on its own PostgreSQL database, for one
 * test file (started in beforeAll, stopped in afterAll), with the steps its tests share.
 */
export function watchedServerSuite(options: { argoRollouts?: boolean } = {}) {
  let dropDatabase: () => Promise<void> = async () => {};
  const suite = {
    apiserver: undefined as unknown as KubeApiServer,
    server: undefined as unknown as RunningServer,
    api: undefined as unknown as ReturnType<typeof apiClient>,
    /** Applies each object and lets the watcher see it, as a rollout's status updates arrive. */
    async progress(...objects: object[]) {
      for (const object of objects) {
        suite.apiserver.apply(object);
        await watcherCaughtUp(suite.server, suite.apiserver);
      }
    },
    readRecord: async (id: string) => (await suite.api.get(id)).body,
    untilState: (id: string, state: string) =>
      waitFor(`record ${id} to be ${state}`, async () => {
        const record = await suite.readRecord(id);
        return record.state === state && record;
      }),
  };
  beforeAll(async () => {
    suite.apiserver = await startKubeApiServer({ bookmarkEveryMs: 1000, argoRollouts: options.argoRollouts });
    const db = await createTestDatabase();
    dropDatabase = db.drop;
    suite.server = await startServer({
      DATABASE_URL: db.url,
      DEPLOYLEDGER_API_KEYS: API_KEYS,
      ...watcherEnv(suite.apiserver),
    });
    suite.api = apiClient(suite.server.url, TOKEN);
  });
  afterAll(async () => {
    await suite.server?.stop();
    await suite.apiserver?.close();
    await dropDatabase();
  });
  return suite;
}
