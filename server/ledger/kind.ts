import type { DeploymentKind } from './states.ts';
import type { GithubSyncJob } from './types.ts';

/**
 * What the store knows of an environment's history when a record opens, gathered in the reads
 * the create path does anyway (server/db).
 */
export interface KindFacts {
  /**
   * The sha of the environment's current deployment: its latest success, the record GitHub's
   * auto-inactive leaves in state `success` (null when the environment never succeeded).
   */
  currentSha: string | null;
  /** Whether this sha reached `success` in this environment before (it has a `deployed_at`). */
  deployedBefore: boolean;
}

/** An environment that never deployed anything: every record opened into it is `forward`. */
export const NO_HISTORY: KindFacts = { currentSha: null, deployedBefore: false };

/**
 * The kind from the database's facts alone: the current sha again is a `redeploy`; a sha that
 * succeeded here before and is not the current one is a `rollback`; anything else is `forward`.
 * Whether that sha is really an ancestor of the current one only GitHub knows: see refineKind.
 */
export function kindOf(sha: string, facts: KindFacts): DeploymentKind {
  if (facts.currentSha === null) return 'forward';
  // Shas compare case-blind, as the database compares them (lower(sha)).
  if (sha.toLowerCase() === facts.currentSha.toLowerCase()) return 'redeploy';
  return facts.deployedBefore ? 'rollback' : 'forward';
}

/** GitHub's answer to GET /repos/{owner}/{repo}/compare/{current}...{sha}: where sha stands. */
export type CompareStatus = 'behind' | 'identical' | 'ahead' | 'diverged';

/**
 * The kind once GitHub compared the record's sha with the current one. `behind` (an ancestor of
 * the current) keeps a rollback a rollback; `identical` (another spelling of the current commit)
 * is a redeploy; `ahead` or `diverged` is no rollback but a way forward. A sha that never
 * succeeded here stays `forward` even when it is an ancestor: a rollback returns to a release.
 */
export function refineKind(kind: DeploymentKind, status: CompareStatus): DeploymentKind {
  if (status === 'identical') return 'redeploy';
  if (status === 'behind') return kind;
  return kind === 'rollback' ? 'forward' : kind;
}

/**
 * The GitHub job that checks a rollback by the database's facts against the commit graph; only
 * a rollback can change (a forward sha never deployed here stays forward whatever GitHub says).
 */
export function compareJobOf(
  record: { id: string; sha: string; kind: DeploymentKind },
  facts: KindFacts,
): GithubSyncJob | null {
  if (record.kind !== 'rollback' || facts.currentSha === null) return null;
  return {
    kind: 'github.compare_kind',
    payload: { base: facts.currentSha, head: record.sha, kind: record.kind },
    dedupeKey: `compare:${record.id}`,
  };
}
