import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface E2eStats {
  scenarios: number;
  interleavings: number;
  faults: number;
  violations: number;
}

/** What this test file did, for the summary line the global teardown prints. */
export const stats: E2eStats = { scenarios: 0, interleavings: 0, faults: 0, violations: 0 };

export function saveStats(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${randomUUID()}.json`), JSON.stringify(stats));
}

export function sumStats(dir: string): E2eStats {
  const total: E2eStats = { scenarios: 0, interleavings: 0, faults: 0, violations: 0 };
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    const part = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as E2eStats;
    for (const key of Object.keys(total) as Array<keyof E2eStats>) total[key] += part[key];
  }
  return total;
}

export function summaryLine(total: E2eStats): string {
  return `e2e summary: scenarios ${total.scenarios}, interleavings ${total.interleavings}, faults injected ${total.faults}, violations found ${total.violations}`;
}
