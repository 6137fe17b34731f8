import { afterAll, beforeAll } from 'vitest';
import { API_KEYS, apiClient, TOKEN } from './api.ts';
import { createTestDatabase } from './postgres.ts';
import { type RunningServer, startServer } from './server.ts';

export interface ApiServer {
  db: Awaited<ReturnType<typeof createTestDatabase>>;
  server: RunningServer;
  /** acme/shop's client. */
  api: ReturnType<typeof apiClient>;
}

/**
 * A server on a fresh PostgreSQL database with the API suites' keys, started before the file's
 * tests and stopped after them; its fields are set once they have started.
 */
export function apiServerForFile(): ApiServer {
  const context = {} as ApiServer;
  beforeAll(async () => {
    context.db = await createTestDatabase();
    context.server = await startServer({ DATABASE_URL: context.db.url, DEPLOYLEDGER_API_KEYS: API_KEYS });
    context.api = apiClient(context.server.url, TOKEN);
  });
  afterAll(async () => {
    await context.server?.stop();
    await context.db?.drop();
  });
  return context;
}
