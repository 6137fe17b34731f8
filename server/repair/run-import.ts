import { withEnvironmentBatch } from '../db/bulk-ledger.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { groupRows } from './duplicates.ts';
import { importGroup, importKey } from './import-group.ts';
import type { Spool } from './import-spool.ts';
import type { LegacyRow } from './legacy-rows.ts';

export interface ImportOutcome {
  rows: number;
  deployments: number;
  imported: number;
  alreadyImported: number;
}

// Deployments decided and written per transaction.
const BATCH = 2000;
// Environments imported at once: one deciding in memory while others are written (PostgreSQL
// then uses more than one core). Each holds one pooled connection.
const PARALLEL = 3;

/**
 * Imports a legacy history into the ledger, one record per deployment: the file, checked whole
 * and spooled by environment (import-spool.ts), is read one environment at a time; its rows are grouped as `repair` groups
 * duplicates and each group becomes one record whose state the core decides (import-group.ts).
 * An environment's groups go oldest first, a few thousand per transaction under its lock. Each
 * record's key is derived from its first row, so importing the same file again adds nothing.
 */
export async function runImport(
  prisma: PrismaClient,
  spool: Spool,
  windowMs: number,
): Promise<ImportOutcome> {
  const outcome: ImportOutcome = { rows: spool.rows, deployments: 0, imported: 0, alreadyImported: 0 };
  await inParallel(spool.environments(), PARALLEL, async (rows) => {
    const groups = groupRows(rows, windowMs);
    outcome.deployments += groups.length;
    for (let start = 0; start < groups.length; start += BATCH) {
      const imported = await importBatch(prisma, groups.slice(start, start + BATCH));
      outcome.imported += imported.length;
    }
  });
  outcome.alreadyImported = outcome.deployments - outcome.imported;
  return outcome;
}

/** One transaction: the groups (of one environment) that are not stored yet. */
async function importBatch(prisma: PrismaClient, groups: LegacyRow[][]): Promise<LegacyRow[][]> {
  const first = groups[0]?.[0];
  if (!first) return [];
  const keys = groups.map((group) => importKey(group[0] as LegacyRow));
  return withEnvironmentBatch(
    prisma,
    {
      repository: first.repository,
      environment: first.environment,
      keys,
      shas: groups.map((g) => (g[0] as LegacyRow).sha),
    },
    (ledger) => groups.filter((group) => importGroup(ledger, group)),
  );
}

/** Runs `work` on each item, at most `limit` at once; the first failure stops taking new items. */
async function inParallel<T>(items: Iterator<T>, limit: number, work: (item: T) => Promise<void>) {
  let failed = false;
  const worker = async () => {
    for (let next = items.next(); !next.done && !failed; next = items.next()) {
      try {
        await work(next.value);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}
