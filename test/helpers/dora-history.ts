import type { apiClient } from './api.ts';

export const XSS_DESCRIPTION = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

export interface SeededDeployment {
  id: string;
  environment: string;
  outcome: 'success' | 'failure' | 'in_progress';
  /** When it succeeded or failed (null while running). */
  at: Date | null;
  commitAt: Date | null;
}

/**
 * A known history of acme/shop, written through the public API: production has three
 * successes and one failure in the last week, then a deployment still running; staging has a
 * running one; qa's latest deployment failed after a success.
 */
export async function seedShopHistory(api: ReturnType<typeof apiClient>, now: Date, description = 'deploy') {
  const seeded: SeededDeployment[] = [];
  let run = 1000;
  async function deploy(
    environment: string,
    outcome: SeededDeployment['outcome'],
    at: Date | null,
    commitAt: Date | null,
    extra: Record<string, unknown> = {},
  ) {
    run += 1;
    const created = await api.create(`${run}-1`, {
      repository: 'acme/shop',
      environment,
      sha: run.toString(16).padStart(40, 'c'),
      ref: 'main',
      state: 'in_progress',
      description,
      environment_url: `https://${environment}.shop.example`,
      ...(commitAt ? { commit_at: commitAt.toISOString() } : {}),
      ...extra,
    });
    if (created.status !== 201)
      throw new Error(`seeding failed: ${created.status} ${JSON.stringify(created.body)}`);
    const id = created.body.id as string;
    if (outcome !== 'in_progress' && at) {
      const ended = await api.status(id, { state: outcome, at: at.toISOString() });
      if (ended.status !== 200 || !ended.body.applied) throw new Error(`seeding ${outcome} failed`);
    }
    seeded.push({ id, environment, outcome, at, commitAt });
    return id;
  }
  const ago = (ms: number) => new Date(now.getTime() - ms);
  await deploy('production', 'success', ago(6 * DAY), ago(6 * DAY + 2 * HOUR));
  await deploy('production', 'failure', ago(4 * DAY), ago(4 * DAY + HOUR));
  await deploy('production', 'success', ago(4 * DAY - 3 * HOUR), ago(4 * DAY + HOUR));
  await deploy('production', 'success', ago(2 * DAY), ago(2 * DAY + 30 * 60_000));
  await deploy('production', 'in_progress', null, null);
  await deploy('qa', 'success', ago(3 * DAY), null);
  await deploy('qa', 'failure', ago(1 * DAY), null);
  await deploy('staging', 'in_progress', null, null, {
    description: XSS_DESCRIPTION,
  });
  return seeded;
}

/** The DORA figures the seeded history implies, worked out here without the server's code. */
export function expectedFigures(seeded: SeededDeployment[], environment: string, since: Date, until: Date) {
  const ended = seeded.flatMap((d) => (d.environment === environment && d.at ? [{ ...d, at: d.at }] : []));
  const inWindow = ended.filter((d) => d.at >= since && d.at < until);
  const successes = inWindow.filter((d) => d.outcome === 'success');
  const failures = inWindow.filter((d) => d.outcome === 'failure');
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    if (sorted.length === 0) return null;
    return sorted.length % 2
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  };
  const leads = successes.flatMap((d) =>
    d.commitAt ? [(d.at.getTime() - d.commitAt.getTime()) / 1000] : [],
  );
  // Every failure here starts its own incident (no two failures in a row); restored by the next success.
  const restores = failures.flatMap((failure) => {
    const next = ended
      .filter((d) => d.outcome === 'success' && d.at > failure.at)
      .sort((a, b) => a.at.getTime() - b.at.getTime())[0];
    return next ? [(next.at.getTime() - failure.at.getTime()) / 1000] : [];
  });
  const days = (until.getTime() - since.getTime()) / DAY;
  return {
    perDay: successes.length / days,
    leadTimeSeconds: median(leads),
    changeFailureRate: failures.length / (successes.length + failures.length),
    timeToRestoreSeconds: median(restores),
  };
}
