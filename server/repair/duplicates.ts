import { foldName, runKey } from '../ledger/index.ts';

/** What grouping needs to know of a record or a legacy row. */
export interface Groupable {
  id: string;
  repository: string;
  environment: string;
  /** GitHub's repository id: records of one id under two names are one repository (a rename). */
  repositoryId?: number | null;
  /** The record's key: one key in one environment is one deployment, however the names are spelled. */
  key?: string;
  sha: string;
  runId: number | null;
  runAttempt: number | null;
  createdAt: Date;
}

/**
 * Rows that describe one deployment: same repository, environment and sha created within
 * `windowMs` of each other (chained: each within the window of the previous; not two that name
 * different workflow run attempts), or same
 * repository, environment and workflow run attempt, or same repository, environment and key.
 * Names compare case-insensitively, and a repository is also known by its GitHub id (so the
 * records a rename split are grouped too). Each group is sorted oldest first, so its
 * first member is the survivor (the best-known created_at); ties are broken by id. Groups of one
 * are left out.
 */
export function findDuplicateGroups<T extends Groupable>(rows: T[], windowMs: number): T[][] {
  return groupRows(rows, windowMs).filter((group) => group.length > 1);
}

/** Every group, single rows included, oldest group first. */
export function groupRows<T extends Groupable>(rows: T[], windowMs: number): T[][] {
  const sorted = [...rows].sort(byAge);
  const parent = new Map<string, string>(sorted.map((row) => [row.id, row.id]));
  const root = (id: string): string => {
    let current = id;
    while (parent.get(current) !== current) current = parent.get(current) ?? current;
    return current;
  };
  const union = (a: string, b: string) => {
    const [ra, rb] = [root(a), root(b)];
    if (ra !== rb) parent.set(rb, ra);
  };

  const lastBySha = new Map<string, T>();
  const firstOf = new Map<string, T>();
  const sameAsFirst = (groupKey: string, row: T) => {
    const first = firstOf.get(groupKey);
    if (first) union(first.id, row.id);
    else firstOf.set(groupKey, row);
  };
  for (const row of sorted) {
    for (const scope of scopesOf(row)) {
      const shaKey = `${scope}\n${row.sha.toLowerCase()}`;
      const previous = lastBySha.get(shaKey);
      if (
        previous &&
        row.createdAt.getTime() - previous.createdAt.getTime() <= windowMs &&
        !otherRuns(previous, row)
      )
        union(previous.id, row.id);
      lastBySha.set(shaKey, row);
      if (row.runId !== null && row.runAttempt !== null)
        sameAsFirst(`${scope}\nrun\n${runKey(row.runId, row.runAttempt)}`, row);
      if (row.key !== undefined) sameAsFirst(`${scope}\nkey\n${row.key}`, row);
    }
  }

  const groups = new Map<string, T[]>();
  for (const row of sorted) groups.set(root(row.id), [...(groups.get(root(row.id)) ?? []), row]);
  return [...groups.values()];
}

/**
 * Rows that name two workflow run attempts are two deployments however close in time: a job
 * re-run (the next attempt) or another run of the same sha, never a duplicate write.
 */
function otherRuns(a: Groupable, b: Groupable): boolean {
  if (a.runId === null || a.runAttempt === null || b.runId === null || b.runAttempt === null) return false;
  return runKey(a.runId, a.runAttempt) !== runKey(b.runId, b.runAttempt);
}

/** The environment by its folded names and, when known, by its repository's GitHub id. */
function scopesOf(row: Groupable): string[] {
  const environment = foldName(row.environment);
  const byName = `name\n${foldName(row.repository)}\n${environment}`;
  return row.repositoryId == null ? [byName] : [byName, `id\n${row.repositoryId}\n${environment}`];
}

export function byAge(a: Groupable, b: Groupable): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
