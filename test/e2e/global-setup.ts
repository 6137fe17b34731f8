import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { summaryLine, sumStats } from './stats.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    statsDir: string;
  }
}

/** Gives every test file a place for its counts; prints the summary line once all are done. */
export default function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), 'deployledger-e2e-stats-'));
  project.provide('statsDir', dir);
  return () => {
    console.log(`\n${summaryLine(sumStats(dir))}\n`);
    rmSync(dir, { recursive: true, force: true });
  };
}
