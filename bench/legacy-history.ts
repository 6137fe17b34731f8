import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

export const REPOSITORIES = 50;
export const ENVIRONMENTS = 4;
const DAY_MS = 86_400_000;

/** A deterministic pseudo-random sequence (mulberry32), so every run imports the same history. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Writes a legacy history table as CSV: `rows` rows over REPOSITORIES × ENVIRONMENTS, in time
 * order over the last `days` days, as another tool would have exported it: mostly successes
 * with deployed_at, some failures and cancellations, some rows left "running" (superseded by the
 * next deployment), one in 25 written twice (a duplicate within the window), half with a run id.
 */
export async function writeLegacyHistory(file: string, rows: number, days = 90): Promise<void> {
  const out = createWriteStream(file);
  const next = random(rows);
  const now = Date.now();
  const step = (days * DAY_MS) / rows;
  out.write('repository,environment,sha,status,created_at,deployed_at,run_id,run_attempt,environment_url\n');
  let written = 0;
  for (let i = 0; written < rows; i++) {
    const repository = `acme/repo-${i % REPOSITORIES}`;
    const environment = `env-${Math.floor(i / REPOSITORIES) % ENVIRONMENTS}`;
    const at = now - days * DAY_MS + i * step;
    const sha = (i * 2_654_435_761).toString(16).padStart(8, '0').repeat(5).slice(0, 40);
    const roll = next();
    const status = roll < 0.8 ? 'success' : roll < 0.9 ? 'failed' : roll < 0.95 ? 'cancelled' : 'running';
    const deployedAt = status === 'success' ? new Date(at + 180_000).toISOString() : '';
    const run = next() < 0.5 ? `${1_000_000 + i},1` : ',';
    const url = status === 'success' ? `https://${environment}.example.com` : '';
    const line = `${repository},${environment},${sha},${status},${new Date(at).toISOString()},${deployedAt},${run},${url}\n`;
    const copies = next() < 0.04 && written + 2 <= rows ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      if (!out.write(line)) await once(out, 'drain');
      written += 1;
    }
  }
  out.end();
  await once(out, 'finish');
}
