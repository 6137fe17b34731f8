import { apiClient } from './api.ts';
import { createTestDatabase } from './postgres.ts';
import { type RunningServer, startServer } from './server.ts';

export const ACTION_TOKEN = 'test-key-acme-shop-action-0123456789';

/** The real server on a fresh PostgreSQL database, with an API key for acme/shop. */
export async function startLedger(env: Record<string, string> = {}) {
  const db = await createTestDatabase();
  let server: RunningServer;
  try {
    server = await startServer({
      DATABASE_URL: db.url,
      DEPLOYLEDGER_API_KEYS: `acme/shop=${ACTION_TOKEN}`,
      ...env,
    });
  } catch (error) {
    await db.drop();
    throw error;
  }
  return {
    server,
    api: apiClient(server.url, ACTION_TOKEN),
    async stop() {
      await server.stop();
      await db.drop();
    },
  };
}

export type Ledger = Awaited<ReturnType<typeof startLedger>>;
