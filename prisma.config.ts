import path from 'node:path';
import { defineConfig } from 'prisma/config';

// Prisma's CLI fetches a native schema engine before every verb, from a host that is not
// reachable offline. Pointing it at any existing absolute path skips the download; `generate`
// does not use the engine. Users with network who run `prisma migrate deploy` set the variable
// themselves or unset it. The server applies migrations itself (server/db/migrate.ts).
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;

export default defineConfig({
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
});
