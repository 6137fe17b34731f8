import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const KEY = 'test-key-memory-0123456789abcdef';

function rssMiB(server: RunningServer): number {
  const status = readFileSync(`/proc/${server.process.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

/** A server started as a user starts it, one deployment recorded, then idle for 3 s. */
async function idleServer(env: Record<string, string>): Promise<RunningServer> {
  const server = await startServer({ DEPLOYLEDGER_API_KEYS: `acme/shop=${KEY}`, ...env });
  const created = await apiClient(server.url, KEY).create('1-1', {
    repository: 'acme/shop',
    environment: 'production',
    sha: SHA,
    state: 'success',
  });
  expect(created.status).toBe(201);
  await sleep(3000);
  return server;
}

// Issue 16: before the V8 settings in bin/deployledger.js the idle server took ~200 MiB on
// PostgreSQL and ~300 MiB embedded (docs/benchmarks.md#server-memory).
describe('the idle server’s resident memory (Linux)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('stays under 150 MiB on PostgreSQL', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const server = await idleServer({ DATABASE_URL: db.url });
    cleanups.push(() => server.stop());
    expect(rssMiB(server)).toBeLessThan(150);
  });

  it('stays under 250 MiB with the embedded database', async () => {
    const server = await idleServer({});
    cleanups.push(() => server.stop());
    expect(rssMiB(server)).toBeLessThan(250);
  }, 150_000); // the first start runs initdb
});
