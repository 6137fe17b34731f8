import type { apiClient } from './api.ts';

export interface SeededRollback {
  /** The records in the order they were deployed: forward, forward, rollback, redeploy. */
  ids: [string, string, string, string];
  kinds: ['forward', 'forward', 'rollback', 'redeploy'];
}

/**
 * One environment of acme/shop that rolls back, written through the public API: release 1, then
 * release 2, then release 1 again (a rollback), then release 1 once more (a redeploy). Without a
 * GitHub token the kinds are the database's.
 */
export async function seedRollback(api: ReturnType<typeof apiClient>, environment: string) {
  const release = (n: number) => String(n).repeat(40);
  const ids: string[] = [];
  for (const [i, sha] of [release(1), release(2), release(1), release(1)].entries()) {
    const created = await api.create(`rollback-${environment}-${i}`, {
      repository: 'acme/shop',
      environment,
      sha,
      state: 'success',
    });
    if (created.status !== 201)
      throw new Error(`seeding failed: ${created.status} ${JSON.stringify(created.body)}`);
    ids.push(created.body.id as string);
  }
  return { ids, kinds: ['forward', 'forward', 'rollback', 'redeploy'] } as SeededRollback;
}
