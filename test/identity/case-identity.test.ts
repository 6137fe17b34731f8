import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { runCli } from '../helpers/cli.ts';
import { delivery, eventually, sample, send } from '../helpers/deliveries.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

// GitHub names are case-insensitive and repositories can be renamed: one deployment is one record
// whatever the spelling, shown as GitHub last spelled it, and a renamed repository keeps its
// history under the new name. Everything goes to the real server process over HTTP.
const SECRET = 'case-identity-secret';
const TOKEN = 'test-key-case-identity-0123456789';
const RENAMED_TOKEN = 'test-key-case-renamed-0123456789';
// The keys are scoped with other spellings than the requests use: the scope compares names too.
const API_KEYS = `ACME/Shop=${TOKEN},acme/old-name=${TOKEN},acme/new-name=${RENAMED_TOKEN}`;
const RUN_KEY = '289782451-1'; // the workflow run of GitHub's sample deployment payloads

/** A `deployment_status` delivery of GitHub's sample run, for `repository` (id given or not). */
function statusDelivery(
  repository: string,
  environment: string,
  state: string,
  options: { repositoryId?: number; deploymentId?: number; runId?: number } = {},
) {
  const payload = sample('deployment_status', (p) => p.deployment_status.state === 'in_progress');
  payload.repository.full_name = repository;
  if (options.repositoryId === undefined) delete payload.repository.id;
  else payload.repository.id = options.repositoryId;
  payload.deployment.environment = environment;
  payload.deployment_status.state = state;
  // Happening now, so nothing is past its deadline when `check` looks.
  payload.deployment.created_at = new Date().toISOString();
  payload.deployment_status.created_at = new Date().toISOString();
  if (options.deploymentId !== undefined) payload.deployment.id = options.deploymentId;
  if (options.runId !== undefined) payload.workflow_run.id = options.runId;
  return delivery('deployment_status', payload);
}

interface Started {
  server: RunningServer;
  /** How `deployledger check` reaches the same database. */
  env: Record<string, string | undefined>;
  /** The embedded database belongs to one process: the server stops before the CLI opens it. */
  exclusive: boolean;
  close(): Promise<void>;
}

function defineCaseSuite(name: string, start: () => Promise<Started>) {
  describe(name, () => {
    let server: RunningServer;
    let env: Record<string, string | undefined>;
    let exclusive: boolean;
    let close: () => Promise<void>;
    const api = () => apiClient(server.url, TOKEN);
    const list = async (query: Record<string, string>, token = TOKEN) =>
      (await apiClient(server.url, token).list(query)).body.deployments as Array<Record<string, unknown>>;

    beforeAll(async () => {
      ({ server, env, exclusive, close } = await start());
    });
    afterAll(async () => {
      await server.stop();
      await close();
    });

    it('a delivery for Acme/Shop and the Action for acme/shop with the same run key → one record, the latest spelling shown', async () => {
      const opened = statusDelivery('Acme/Shop', 'production', 'in_progress');
      expect((await send(server.url, SECRET, opened)).status).toBe(202);
      const first = await eventually(async () => (await list({ repository: 'acme/shop' }))[0]);
      expect(first).toMatchObject({ repository: 'Acme/Shop', environment: 'production', key: RUN_KEY });

      const created = await api().create(RUN_KEY, {
        repository: 'acme/shop',
        environment: 'Production',
        sha: SHA,
        state: 'in_progress',
      });
      expect(created.status).toBe(200);
      expect(created.body.id).toBe(first.id);
      const records = await list({ repository: 'ACME/SHOP' });
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ id: first.id, repository: 'acme/shop', environment: 'Production' });
    });

    it('ACME/Shop and acme/shop with key 999-1 → one record: the second is a replay', async () => {
      const body = { environment: 'staging', sha: SHA, state: 'in_progress' };
      const first = await api().create('999-1', { ...body, repository: 'ACME/Shop' });
      const second = await api().create('999-1', { ...body, repository: 'acme/shop' });
      expect(first.status).toBe(201);
      expect(second.status).toBe(200);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(second.body.id).toBe(first.body.id);
      expect(await list({ repository: 'acme/shop', environment: 'STAGING' })).toHaveLength(1);
    });

    it('environment CASE beside case: one environment, so a second active deployment is a 409', async () => {
      const upper = await api().create('31-1', {
        repository: 'acme/shop',
        environment: 'CASE',
        sha: SHA,
        state: 'in_progress',
      });
      const lower = await api().create('32-1', {
        repository: 'acme/shop',
        environment: 'case',
        sha: SHA,
        state: 'in_progress',
      });
      expect(upper.status).toBe(201);
      expect(lower.status).toBe(409);
      expect(lower.body.active_deployment.id).toBe(upper.body.id);
      // Refused, it changed nothing: the environment keeps the spelling of what it holds.
      expect(lower.body.active_deployment.environment).toBe('CASE');
      expect(
        (await list({ repository: 'acme/shop', environment: 'case' })).map((r) => r.environment),
      ).toEqual(['CASE']);
    });

    it('a renamed repository (same GitHub id, new name) keeps its history, shown under the new name', async () => {
      const before = statusDelivery('acme/old-name', 'production', 'success', {
        repositoryId: 4242,
        deploymentId: 71,
        runId: 5001,
      });
      expect((await send(server.url, SECRET, before)).status).toBe(202);
      const old = await eventually(async () => (await list({ repository: 'acme/old-name' }))[0]);
      const after = statusDelivery('Acme/New-Name', 'production', 'in_progress', {
        repositoryId: 4242,
        deploymentId: 72,
        runId: 5002,
      });
      expect((await send(server.url, SECRET, after)).status).toBe(202);
      const records = await eventually(async () => {
        const found = await list({ repository: 'acme/new-name' }, RENAMED_TOKEN);
        return found.length === 2 ? found : undefined;
      });
      expect(records.map((r) => r.repository)).toEqual(['Acme/New-Name', 'Acme/New-Name']);
      expect(records.map((r) => r.id)).toContain(old.id);
      expect(await list({ repository: 'acme/old-name' })).toHaveLength(0);
    });

    it('deployledger check: the invariants hold, names compared case-insensitively', async () => {
      if (exclusive) await server.stop();
      const result = await runCli(['check'], env);
      expect(result.stdout).toContain('| one name per GitHub repository id | ok |');
      expect(result.stdout).toContain('All invariants hold.');
      expect(result.code).toBe(0);
    });
  });
}

defineCaseSuite('one record whatever the spelling, on PostgreSQL', async () => {
  const db = await createTestDatabase();
  const server = await startServer({
    DATABASE_URL: db.url,
    GITHUB_WEBHOOK_SECRET: SECRET,
    DEPLOYLEDGER_API_KEYS: API_KEYS,
  });
  return { server, env: { DATABASE_URL: db.url }, exclusive: false, close: () => db.drop() };
});

defineCaseSuite('one record whatever the spelling, on the embedded database', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'deployledger-case-'));
  const env = { DATABASE_URL: undefined, DEPLOYLEDGER_DATA_DIR: dataDir };
  const server = await startServer({
    ...env,
    GITHUB_WEBHOOK_SECRET: SECRET,
    DEPLOYLEDGER_API_KEYS: API_KEYS,
  });
  return {
    server,
    env,
    exclusive: true,
    close: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
});
