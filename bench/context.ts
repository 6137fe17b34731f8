import { spawn } from 'node:child_process';
import { createTestDatabase } from '../test/helpers/postgres.ts';
import { ROOT, type RunningServer, startServer } from '../test/helpers/server.ts';

export const TOKEN = 'bench-key-0123456789abcdef';
export const SHA = 'a'.repeat(40);
export const SECRET = 'bench-webhook-secret';
export const HEADERS = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

/**
 * A server as a user starts it, whose request lines the bench drains without keeping: the load
 * generator runs in this process, and splitting and keeping two lines a create took a sixth to a
 * third of its CPU (45–55 µs a create against 38) and hundreds of MiB over a run
 * (docs/benchmarks-history.md). Warnings and errors are kept.
 */
export function startBenchServer(env: Record<string, string | undefined>): Promise<RunningServer> {
  return startServer(env, { keepLogs: 'problems' });
}

export interface BenchContext {
  databaseUrl: string;
  server: RunningServer;
  bareHono: string;
}

/** A server on a fresh PostgreSQL database and the bare Hono baseline, for one benchmark run. */
export async function withContext<T>(
  env: Record<string, string>,
  work: (context: BenchContext) => Promise<T>,
): Promise<T> {
  const db = await createTestDatabase();
  const server = await startBenchServer({
    DATABASE_URL: db.url,
    DEPLOYLEDGER_API_KEYS: `acme/shop=${TOKEN}`,
    DEPLOYLEDGER_DB_POOL_SIZE: '16',
    GITHUB_WEBHOOK_SECRET: SECRET,
    ...env,
  });
  const bare = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-hono.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    bare.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()).port)),
  );
  try {
    return await work({ databaseUrl: db.url, server, bareHono: `http://127.0.0.1:${port}` });
  } finally {
    bare.kill();
    await server.stop();
    await db.drop();
  }
}
