import { type BatchScope, withEnvironmentBatches } from '../db/bulk-ledger.ts';
import type { Database } from '../db/database.ts';
import { groupRows } from './duplicates.ts';
import { importGroup, importKeys } from './import-group.ts';
import type { Spool } from './import-spool.ts';
import type { LegacyRow } from './legacy-rows.ts';

export interface ImportOutcome {
  rows: number;
  deployments: number;
  imported: number;
  alreadyImported: number;
}

// Deployments decided and written per transaction: small environments share one, a large one is
// cut into several (in order, one after the other).
const BATCH = 10_000;
// Transactions under way at once: one deciding in memory while another is written (PostgreSQL
// then uses more than one core). Each holds one pooled connection.
const PARALLEL = 2;

/** One environment's deployments (groups of legacy rows), oldest first. */
type Part = LegacyRow[][];
/** Transactions one after the other: each a list of environments' parts. */
type Work = Part[][];

/**
 * Imports a legacy history into the ledger, one record per deployment: the file, checked whole
 * and spooled by environment (import-spool.ts), is read one environment at a time; its rows are
 * grouped as `repair` groups duplicates and each group becomes one record whose state the core
 * decides (import-group.ts). Environments go a few together, oldest first, up to BATCH
 * deployments per transaction under their locks. Each record's key is derived from its first
 * row, so importing the same file again adds nothing.
 */
export async function runImport(
  db: Pick<Database, 'kind' | 'withClient'>,
  spool: Spool,
  windowMs: number,
): Promise<ImportOutcome> {
  const outcome: ImportOutcome = { rows: spool.rows, deployments: 0, imported: 0, alreadyImported: 0 };
  const parts = (function* () {
    for (const rows of spool.environments()) {
      const groups = groupRows(rows, windowMs);
      outcome.deployments += groups.length;
      yield groups;
    }
  })();
  await inParallel(units(parts), PARALLEL, async (work) => {
    for (const parts of work) {
      const imported = await importBatch(db, parts);
      outcome.imported += imported;
    }
  });
  outcome.alreadyImported = outcome.deployments - outcome.imported;
  return outcome;
}

/**
 * The environments' parts as units of work: small environments together up to BATCH deployments
 * (one transaction), a large one alone in slices of BATCH (one transaction each, in order, so
 * each slice sees what the one before it stored).
 */
function* units(environments: Iterator<Part>): Generator<Work> {
  let together: Part[] = [];
  let size = 0;
  for (let next = environments.next(); !next.done; next = environments.next()) {
    const groups = next.value;
    if (groups.length >= BATCH) {
      const slices: Work = [];
      for (let start = 0; start < groups.length; start += BATCH)
        slices.push([groups.slice(start, start + BATCH)]);
      yield slices;
      continue;
    }
    together.push(groups);
    size += groups.length;
    if (size >= BATCH) {
      yield [together];
      together = [];
      size = 0;
    }
  }
  if (together.length) yield [together];
}

/** One transaction: the groups (of a few environments) that are not stored yet; how many. */
async function importBatch(db: Pick<Database, 'kind' | 'withClient'>, parts: Part[]): Promise<number> {
  const scopes: BatchScope[] = [];
  const imported = parts.filter((part) => part.length);
  for (const groups of imported) {
    const first = groups[0]?.[0] as LegacyRow;
    scopes.push({
      repository: first.repository,
      environment: first.environment,
      keys: groups.flatMap((group) => importKeys(group)),
      shas: groups.map((group) => (group[0] as LegacyRow).sha),
    });
  }
  if (!scopes.length) return 0;
  return withEnvironmentBatches(db, scopes, (batches) =>
    imported.reduce(
      (count, groups, i) =>
        count + groups.filter((group) => importGroup(batches[i] as (typeof batches)[number], group)).length,
      0,
    ),
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
