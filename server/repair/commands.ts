import type { Config } from '../config.ts';
import { githubAuth, stuckPolicy } from '../config.ts';
import { openDatabase } from '../db/connect.ts';
import { markAllDoraDays, refreshAfterBulk } from '../db/dora-rollups.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { LedgerStore } from '../db/ledger-store.ts';
import { applyMigrations, type Migration, readMigrations } from '../db/migrate.ts';
import { spoolLegacyFile } from './import-spool.ts';
import { isEmpty } from './plan.ts';
import { runImport } from './run-import.ts';
import { runRepair } from './run-repair.ts';
import { renderPlan } from './table.ts';

export interface RepairFlags {
  apply?: boolean;
  windowSeconds: number;
  stuckAfterSeconds?: number;
  dora?: boolean;
}

/**
 * Migrations that stop with a message while the ledger holds records only `repair` can fold
 * (names that differ only in case): repair runs on the schema just before the first of them.
 */
const AFTER_REPAIR = ['20261201000100_case_insensitive_identity'];

/**
 * Later migrations that only add a column this version's code reads (with a default, nothing else):
 * repair runs this code on the older schema, so they are applied before it too, out of order (the
 * applier records each by name; `prisma migrate deploy` then finds them applied).
 */
const BEFORE_REPAIR_TOO = ['20261211000300_k8s_rollouts', '20261211000400_deployment_kind'];

/** Every migration before the first one that waits for a repair, and the additions repair reads. */
function migrationsBeforeRepair(all: Migration[]): Migration[] {
  const first = all.findIndex((migration) => AFTER_REPAIR.includes(migration.name));
  if (first === -1) return all;
  const additions = all.slice(first).filter((migration) => BEFORE_REPAIR_TOO.includes(migration.name));
  return [...all.slice(0, first), ...additions];
}

async function withLedger<T>(
  config: Config,
  print: (text: string) => void,
  work: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>,
  migrations: Migration[] = readMigrations(),
) {
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DEPLOYLEDGER_DATA_DIR,
    poolSize: 4,
    command: 'deployledger repair/import',
  });
  try {
    // Said, not done quietly: a server of an older version beside this command may not expect them.
    const applied = await applyMigrations(db, migrations);
    if (applied.length) print(`Migrations applied: ${applied.join(', ')}.`);
    return await work(db);
  } finally {
    await db.close();
  }
}

/** `deployledger repair [--apply]`: prints the plan; with --apply carries it out. */
export async function repairCommand(config: Config, flags: RepairFlags, print: (text: string) => void) {
  const policy = stuckPolicy(config);
  if (flags.stuckAfterSeconds !== undefined) {
    policy.defaultSeconds = flags.stuckAfterSeconds;
    policy.byEnvironment = {};
  }
  const all = readMigrations();
  await withLedger(
    config,
    print,
    async (db) => {
      // What repair decides reaches GitHub as the server's own decisions do (the server's outbox
      // posts it), when GitHub is configured here as it is for the server.
      const store = new LedgerStore(db.prisma, { sql: db.sql, githubSync: githubAuth(config) !== null });
      const outcome = await runRepair(db.prisma, store, {
        windowMs: flags.windowSeconds * 1000,
        policy,
        apply: flags.apply === true,
      });
      const { plan } = outcome;
      if (isEmpty(plan)) {
        print('Nothing to repair: no duplicate records, no stuck records.');
      } else {
        print(renderPlan(plan));
        const superseded = outcome.superseded ? `${outcome.superseded} active record(s) superseded, ` : '';
        print(
          flags.apply
            ? `Applied: ${outcome.merged} group(s) merged, ${superseded}${outcome.resolved} stuck record(s) ended.`
            : 'Dry run: nothing was changed. Run again with --apply to carry out this plan.',
        );
      }
      if (flags.dora) print(await recomputeDora(db.prisma, flags.apply === true));
      // With the records folded, the migrations that waited for them can run.
      if (flags.apply) {
        const applied = await applyMigrations(db, all);
        if (applied.length) print(`Migrations applied: ${applied.join(', ')}.`);
      }
    },
    migrationsBeforeRepair(all),
  );
}

/** `deployledger import <file>`: a legacy history (CSV or JSON lines) into the ledger. */
export async function importCommand(
  config: Config,
  file: string,
  flags: { windowSeconds: number },
  print: (text: string) => void,
) {
  const windowMs = flags.windowSeconds * 1000;
  // The whole file is read and checked before the ledger is opened: a bad row refuses it all.
  const spool = await spoolLegacyFile(file);
  await withLedger(config, print, async (db) => {
    const outcome = await runImport(db, spool, windowMs);
    // The DORA rollups of the days the import touched, now rather than at the first DORA read.
    await refreshAfterBulk(db.prisma);
    print(
      `Read ${outcome.rows} row(s): ${outcome.deployments} deployment(s) after removing duplicates; ` +
        `${outcome.imported} imported, ${outcome.alreadyImported} already in the ledger.`,
    );
    if (outcome.imported > 0) {
      print(
        "Records still active past their deadline are ended by the server's sweeper, or now by `deployledger repair --apply`.",
      );
    }
  }).finally(() => spool.remove());
}

/** `repair --dora`: every day with a success, a failure or a rollup row recomputed into the DORA rollups. */
async function recomputeDora(prisma: PrismaClient, apply: boolean): Promise<string> {
  if (!apply) return 'Dry run: --apply --dora recomputes every DORA rollup from the deployments.';
  await markAllDoraDays(prisma);
  return `DORA rollups recomputed: ${await refreshAfterBulk(prisma)} environment-day(s).`;
}
