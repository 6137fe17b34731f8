import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { githubRun, runAction } from '../test/helpers/action.ts';
import { ROOT } from '../test/helpers/server.ts';
import { type BenchContext, TOKEN } from './context.ts';
import { median } from './measure.ts';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_ACTION_RUNS ?? 7);

async function timeIt(work: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

/** Issue 3: the Action's wall time for one start call, next to a bare `node -e ""`. */
export async function benchAction({ server }: BenchContext): Promise<void> {
  const bare = await timeIt(() => run(process.execPath, ['-e', '']));
  let runId = 900_000;
  const action = await timeIt(async () => {
    runId += 1;
    const result = await runAction({
      inputs: { 'server-url': server.url, token: TOKEN, environment: `bench-action-${runId}` },
      env: githubRun(runId),
    });
    if (result.exitCode !== 0) throw new Error(`the Action failed: ${result.error}`);
  });
  const bundle = statSync(path.join(ROOT, 'dist', 'index.js')).size;
  console.log(`\n## The Action (${RUNS} runs each, median / max)\n`);
  console.log('| what | median ms | max ms | vs node -e "" |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(
    `| node -e "" (baseline) | ${median(bare).toFixed(0)} | ${bare.at(-1)?.toFixed(0)} | baseline |`,
  );
  console.log(
    `| node dist/index.js, status: start | ${median(action).toFixed(0)} | ${action.at(-1)?.toFixed(0)} | ${(median(action) / median(bare)).toFixed(1)}× |`,
  );
  console.log(`\nbundle: dist/index.js ${(bundle / 1024).toFixed(0)} KiB`);
}
