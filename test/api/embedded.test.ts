import { startServer } from '../helpers/server.ts';
import { API_KEYS, defineApiSuite } from './api-suite.ts';

// The same API tests with DATABASE_URL unset: the embedded database (PGlite).
defineApiSuite('embedded database', async () => {
  const server = await startServer({ DATABASE_URL: undefined, DEPLOYLEDGER_API_KEYS: API_KEYS });
  return { server };
});
