import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { runCli } from '../helpers/cli.ts';
import { ROOT, type RunningServer, startServer } from '../helpers/server.ts';

// SIGKILL is what an OOM killer, a node drain past its grace period or `kill -9` does: every
// create the server answered 201 must be there after the restart, wherever the kill landed.
const TOKEN = 'test-key-crash-0123456789';
const env = (dataDir: string) => ({
  DATABASE_URL: undefined,
  DEPLOYLEDGER_DATA_DIR: dataDir,
  DEPLOYLEDGER_API_KEYS: `acme/crash=${TOKEN}`,
});

/** Creates records from `concurrency` loops until stopped; returns the ids answered 201. */
function createStorm(server: RunningServer, prefix: string, concurrency = 12) {
  const api = apiClient(server.url, TOKEN);
  const acknowledged: string[] = [];
  let running = true;
  let n = 0;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      const i = n++;
      try {
        const answer = await api.create(`${prefix}${i}-1`, {
          repository: 'acme/crash',
          environment: `${prefix}-${i}`,
          sha: SHA,
          state: 'running',
        });
        if (answer.status === 201) acknowledged.push(answer.body.id);
      } catch {
        return; // the server is gone
      }
    }
  });
  return {
    acknowledged,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function untilAcknowledged(storm: { acknowledged: string[] }, count: number) {
  while (storm.acknowledged.length < count) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function expectAllThere(dataDir: string, ids: string[]) {
  const server = await startServer(env(dataDir));
  try {
    const api = apiClient(server.url, TOKEN);
    const missing: string[] = [];
    for (const id of ids) if ((await api.get(id)).status !== 200) missing.push(id);
    expect(missing).toEqual([]);
    const check = await runCli(['check'], env(dataDir));
    expect(check.code, check.stdout + check.stderr).toBe(0);
  } finally {
    expect(await server.stop('SIGTERM')).toBe(0);
  }
}

describe('SIGKILL on the embedded database', () => {
  it('loses no acknowledged create when killed mid-transaction, again and again', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'deployledger-crash-'));
    const all: string[] = [];
    for (const [round, after] of [20, 55, 90].entries()) {
      const server = await startServer(env(dataDir));
      const storm = createStorm(server, `t${round}x`);
      await untilAcknowledged(storm, after);
      server.process.kill('SIGKILL');
      await storm.stop();
      await server.stop();
      all.push(...storm.acknowledged);
    }
    await expectAllThere(dataDir, all);
  }, 180_000);

  it('loses no acknowledged create when killed during checkpoints', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'deployledger-crash-'));
    const all: string[] = [];
    for (const round of [0, 1]) {
      const server = await startServer(env(dataDir));
      const storm = createStorm(server, `c${round}x`);
      // Another client of the owner's socket, as `deployledger check` would be.
      const client = new pg.Client({ host: dataDir, user: 'postgres', database: 'postgres' });
      client.on('error', () => {});
      await client.connect();
      let checkpoints = 0;
      const checkpointing = (async () => {
        for (;;) {
          await client.query('CHECKPOINT');
          checkpoints++;
        }
      })().catch(() => {});
      await untilAcknowledged(storm, 40);
      while (checkpoints < 3) await new Promise((resolve) => setTimeout(resolve, 10));
      server.process.kill('SIGKILL');
      await Promise.all([storm.stop(), checkpointing, server.stop()]);
      all.push(...storm.acknowledged);
    }
    await expectAllThere(dataDir, all);
  }, 180_000);

  it('starts cleanly after being killed during its first start (initdb, migrations)', async () => {
    for (const delayMs of [300, 900, 1800, 3000]) {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'deployledger-crash-'));
      const child = spawn(process.execPath, ['bin/deployledger.js', 'serve'], {
        cwd: ROOT,
        env: { ...process.env, ...env(dataDir), PORT: '0', HOST: '127.0.0.1' },
        stdio: 'ignore',
      });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      await expectAllThere(dataDir, []);
    }
  }, 240_000);
});
