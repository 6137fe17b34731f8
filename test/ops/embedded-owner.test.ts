import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { runCli } from '../helpers/cli.ts';
import { ADMIN_URL, query } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

// The README's path on the embedded default: `npm start`, then the CLI in a second terminal
// with the same data dir. One process owns the data dir; the CLI goes through it.
const embedded = (dataDir: string) => ({ DATABASE_URL: undefined, DEPLOYLEDGER_DATA_DIR: dataDir });
const freshDir = () => mkdtempSync(path.join(tmpdir(), 'deployledger-owner-'));

describe('the embedded data dir has one owner', () => {
  const running: RunningServer[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.stop('SIGKILL')));
  });
  const serve = async (dataDir: string) => {
    const server = await startServer(embedded(dataDir));
    running.push(server);
    return server;
  };

  it('runs every CLI command beside a running server, through it, and keeps it all across a restart', async () => {
    const dataDir = freshDir();
    const env = embedded(dataDir);
    let server = await serve(dataDir);

    const created = await runCli(['keys', 'create', 'acme/shop'], env);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    const api = apiClient(server.url, key);
    const first = await api.create('41-1', { repository: 'acme/shop', environment: 'prod', sha: SHA });
    expect(first.status).toBe(201); // the key works at once

    const listed = await runCli(['keys', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`${key.slice(0, 15)}_…\tacme/shop`);
    expect(listed.stdout).not.toContain(key);

    const migrate = await runCli(['migrate'], env);
    expect(migrate).toMatchObject({ code: 0, stdout: 'No pending migrations.\n' });

    const history = path.join(dataDir, 'history.csv');
    writeFileSync(
      history,
      [
        'repository,environment,sha,status,created_at,deployed_at',
        `acme/shop,staging,${'b'.repeat(40)},success,2026-01-01T10:00:00Z,2026-01-01T10:05:00Z`,
        `acme/shop,staging,${'c'.repeat(40)},success,2026-01-02T10:00:00Z,2026-01-02T10:05:00Z`,
      ].join('\n'),
    );
    const imported = await runCli(['import', history], env);
    expect(imported.code, imported.stderr).toBe(0);
    expect(
      (await api.list({ repository: 'acme/shop', environment: 'staging' })).body.deployments,
    ).toHaveLength(2);

    const repair = await runCli(['repair'], env);
    expect(repair.code, repair.stderr).toBe(0);
    const check = await runCli(['check'], env);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('All invariants hold.');

    const second = await runCli(['keys', 'create', 'acme/shop'], env);
    const revoke = await runCli(['keys', 'revoke', second.stdout.trim()], env);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect((await apiClient(server.url, second.stdout.trim()).list({})).status).toBe(401);

    // A key in use is trusted for a few seconds without a lookup; revoked, it is refused within them.
    const third = (await runCli(['keys', 'create', 'acme/shop'], env)).stdout.trim();
    expect((await apiClient(server.url, third).list({})).status).toBe(200);
    // Named as the docs show it: `dl_` and the key's 12-character prefix.
    expect((await runCli(['keys', 'revoke', third.slice(0, 15)], env)).code).toBe(0);
    const revokedAt = Date.now();
    while ((await apiClient(server.url, third).list({})).status === 200) {
      expect(Date.now() - revokedAt).toBeLessThan(8_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await apiClient(server.url, third).list({})).status).toBe(401);

    // The server still answers for what it wrote and what the commands wrote through it.
    expect((await api.get(first.body.id)).status).toBe(200);
    expect(await server.stop('SIGTERM')).toBe(0);
    running.length = 0;

    server = await serve(dataDir);
    const again = apiClient(server.url, key);
    expect((await again.get(first.body.id)).body.state).toBe('pending');
    expect(
      (await again.list({ repository: 'acme/shop', environment: 'staging' })).body.deployments,
    ).toHaveLength(2);
    expect((await apiClient(server.url, second.stdout.trim()).list({})).status).toBe(401);
  }, 240_000);

  it('refuses a second `serve` on an owned data dir at once, naming the dir, the owner and what to do', async () => {
    const dataDir = freshDir();
    const owner = await serve(dataDir);
    const startedAt = Date.now();
    const second = await runCli(['serve'], { ...embedded(dataDir), PORT: '0', HOST: '127.0.0.1' });
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(path.resolve(dataDir));
    expect(second.stderr).toContain(`process ${owner.process.pid} (deployledger serve`);
    expect(second.stderr).toMatch(/stop that process first.*DEPLOYLEDGER_DATA_DIR.*DATABASE_URL/);
    expect((await fetch(`${owner.url}/readyz`)).status).toBe(200);
  });

  it('takes over the data dir of an owner that was killed', async () => {
    const dataDir = freshDir();
    const first = await serve(dataDir);
    await first.stop('SIGKILL');
    const second = await serve(dataDir);
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
  });
});

describe('deployledger check where there is no ledger', () => {
  it('says so in one line, exits 2, and creates nothing (embedded)', async () => {
    const missing = path.join(freshDir(), 'never-started');
    const result = await runCli(['check'], embedded(missing));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      `deployledger check: no ledger in the embedded data dir ${missing}: start the server or run \`deployledger migrate\` first.`,
    ]);
    expect(existsSync(missing)).toBe(false);

    const empty = freshDir();
    const inEmpty = await runCli(['check'], embedded(empty));
    expect(inEmpty.code).toBe(2);
    expect(existsSync(path.join(empty, 'pgdata'))).toBe(false);
  });

  it('says so in one line, exits 2, and creates nothing (PostgreSQL)', async () => {
    const name = `dl_test_missing_${process.pid}`;
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    const result = await runCli(['check'], { DATABASE_URL: url.toString() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^deployledger check: no ledger in the database .*\/dl_test_missing_\d+: start the server or run `deployledger migrate` first\.\n$/,
    );
    const exists = await query(ADMIN_URL, 'SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    expect(exists).toEqual([]);
  });
});
