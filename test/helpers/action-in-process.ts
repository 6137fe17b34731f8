import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../../action/main.ts';
import type { RunContext } from '../../action/run-context.ts';
import { type ActionRun, actionDefaults, parseOutputFile } from './action.ts';

/** What @actions/github's context says for run `runId`, attempt `runAttempt` of acme/shop. */
export function runContext(runId: number, runAttempt = 1, extra: Partial<RunContext> = {}): RunContext {
  return {
    repository: 'acme/shop',
    runId,
    runAttempt,
    sha: 'c0ffee'.padEnd(40, '0'),
    ref: 'refs/heads/main',
    serverUrl: 'https://github.com',
    eventName: 'push',
    payload: {},
    ...extra,
  };
}

// @actions/core keeps the summary file's path once it has seen it: one file for the whole test file.
const dir = mkdtempSync(path.join(tmpdir(), 'deployledger-action-in-process-'));
const summaryFile = path.join(dir, 'summary');
const outputFile = path.join(dir, 'output');

/**
 * Runs the Action's run() in this process, as the runner would set it up (INPUT_* with
 * action.yml's defaults, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY), and gives the same view of the
 * result as runAction() does for `node dist/index.js`. Calls are sequential (process.env is shared).
 */
export async function runInProcess(options: {
  inputs: Record<string, string>;
  context: RunContext;
  env?: Record<string, string>;
}): Promise<ActionRun> {
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const given = { ...actionDefaults(), ...options.inputs };
  const variables: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(given).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]),
    ),
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: dir,
    ...options.env,
  };
  const saved = { ...process.env };
  Object.assign(process.env, variables);
  let log = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    log += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    await run(options.context);
  } finally {
    process.stdout.write = write;
    for (const name of Object.keys(variables)) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
  const exitCode = process.exitCode === undefined ? 0 : Number(process.exitCode);
  process.exitCode = undefined;
  return {
    exitCode,
    log,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    error: /^::error::(.*)$/m.exec(log)?.[1]?.replace(/%0A/g, '\n'),
  };
}
