import pg from 'pg';
import { keyReader } from '../server/db/batched-key-reads.ts';
import { updateBatcher } from '../server/db/batched-updates.ts';
import type { SqlRunner } from '../server/db/deployment-sql.ts';
import { appendBatcher } from '../server/db/event-appends.ts';
import { KindFactsGuess } from '../server/db/kind-guess.ts';
import { createAtOnce, type FastPathDeps } from '../server/db/ledger-fast-paths.ts';
import { openBatcher } from '../server/db/open-batcher.ts';
import { RecentRecords } from '../server/db/recent-records.ts';
import { CONNECTIONS, type Figure, warmLoop } from './measure.ts';

// What bounds creates: the create's statement (createAtOnce, as the server runs it, batched the
// same way) driven from a node-postgres loop, no HTTP. Beside the raw INSERT, it says how much of
// a create PostgreSQL costs; beside the API's creates, how much the HTTP side adds.

export async function createStatementFloor(url: string): Promise<Figure> {
  const pool = new pg.Pool({ connectionString: url, max: 16 });
  const sql: SqlRunner = {
    query: async (text, values, name) =>
      (await pool.query(name ? { name, text, values } : { text, values })).rows,
  };
  const deps: FastPathDeps = {
    sql,
    open: openBatcher(sql),
    update: updateBatcher(sql),
    append: appendBatcher(sql),
    readKey: keyReader(sql),
    jobsOf: () => [],
    onDecision: () => {},
    kindGuess: new KindFactsGuess(),
    recent: new RecentRecords(),
  };
  const figure = await warmLoop(
    'the create statement from a pg loop, no HTTP',
    CONNECTIONS,
    (run) => async (i) => {
      const request = {
        repository: 'acme/shop',
        environment: `floor-${run}-${i}`,
        sha: 'a'.repeat(40),
        key: `${run}-${i}`,
        state: 'in_progress' as const,
        supersede: false,
        fingerprint: 'floor',
        ref: null,
        runId: null,
        runAttempt: null,
        githubDeploymentId: null,
        metricsEndpoint: null,
        k8s: null,
        commitAt: null,
        description: null,
        environmentUrl: null,
        logUrl: null,
      };
      const result = await createAtOnce(deps, request, 'action', new Date());
      if (result?.kind !== 'created') throw new Error(`not created: ${result?.kind ?? 'locked path'}`);
    },
  );
  await pool.end();
  return figure;
}
