import { createTestDatabase } from '../helpers/postgres.ts';
import { startServer } from '../helpers/server.ts';
import { API_KEYS, defineApiSuite } from './api-suite.ts';

defineApiSuite('PostgreSQL', async () => {
  const db = await createTestDatabase();
  const server = await startServer({ DATABASE_URL: db.url, DEPLOYLEDGER_API_KEYS: API_KEYS });
  return { server, cleanup: db.drop };
});
