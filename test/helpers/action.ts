import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { ROOT } from './server.ts';

export interface ActionRun {
  exitCode: number | null;
  /** stdout: the log lines and workflow commands (`::error::…`) the runner reads. */
  log: string;
  outputs: Record<string, string>;
  /** The markdown appended to GITHUB_STEP_SUMMARY. */
  summary: string;
  /** The message of `::error::`, as the runner shows it on the failed step. */
  error: string | undefined;
}

export interface ActionCall {
  inputs: Record<string, string>;
  /** GITHUB_* and ACTIONS_* variables of the run; merged over `githubRun()`. */
  env?: Record<string, string>;
}

/** A step's inputs for acme/shop's job deploying to `environment`, against `serverUrl`. */
export function stepInputs(
  serverUrl: string,
  token: string,
  environment: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { 'server-url': serverUrl, token, environment, ...extra };
}

/** The record a start of run `runId` (attempt 1) opens, from the run's context. */
export function startedRecord(runId: number) {
  return {
    key: `${runId}-1`,
    sha: 'c0ffee'.padEnd(40, '0'),
    ref: 'refs/heads/main',
    log_url: `https://github.com/acme/shop/actions/runs/${runId}`,
  };
}

/** A start the same run repeated: both succeed, the second is the first's replay. */
export function expectReplayed(first: ActionRun, second: ActionRun): void {
  expect(first.exitCode, first.log).toBe(0);
  expect(second.exitCode, second.log).toBe(0);
  expect(first.outputs).toMatchObject({
    state: 'in_progress',
    replayed: 'false',
    'github-deployment-id': '',
  });
  expect(second.outputs).toMatchObject({ 'deployment-id': first.outputs['deployment-id'], replayed: 'true' });
  expect(second.summary).toContain('no second record');
}

/** The variables a runner sets for run `runId`, attempt `runAttempt` of acme/shop. */
export function githubRun(runId: number, runAttempt = 1): Record<string, string> {
  return {
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_RUN_ID: String(runId),
    GITHUB_RUN_ATTEMPT: String(runAttempt),
    GITHUB_SHA: 'c0ffee'.padEnd(40, '0'),
    GITHUB_REF: 'refs/heads/main',
    GITHUB_SERVER_URL: 'https://github.com',
  };
}

/**
 * Runs `node dist/index.js` as the runner does: every input as INPUT_<NAME> (upper-cased, hyphens
 * kept), action.yml's defaults for inputs not given, and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files.
 */
export async function runAction({ inputs, env = {} }: ActionCall): Promise<ActionRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'deployledger-action-'));
  const outputFile = path.join(dir, 'output');
  const summaryFile = path.join(dir, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const given = { ...actionDefaults(), ...inputs };
  const child = spawn(process.execPath, ['dist/index.js'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...Object.fromEntries(
        Object.entries(given).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]),
      ),
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      RUNNER_TEMP: dir,
      ...githubRun(1),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    exitCode,
    log,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    error: /^::error::(.*)$/m.exec(log)?.[1]?.replace(/%0A/g, '\n'),
  };
}

/** GITHUB_OUTPUT holds `name<<DELIMITER`, the value, then the delimiter. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const pattern = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const match of text.matchAll(pattern)) {
    outputs[match[1] as string] = match[3] as string;
  }
  return outputs;
}

/** The `default:` of each input in action.yml, which the runner passes when the workflow omits it. */
export function actionDefaults(): Record<string, string> {
  const yaml = readFileSync(path.join(ROOT, 'action.yml'), 'utf8');
  const inputsBlock = /^inputs:\n([\s\S]*?)^\S/m.exec(yaml)?.[1] ?? '';
  const defaults: Record<string, string> = {};
  let current: string | undefined;
  for (const line of inputsBlock.split('\n')) {
    const name = /^ {2}([a-z0-9-]+):\s*$/.exec(line);
    if (name) current = name[1];
    const value = /^ {4}default:\s*(.*)$/.exec(line);
    if (current && value?.[1] !== undefined) defaults[current] = value[1].replace(/^(['"])(.*)\1$/, '$2');
  }
  return defaults;
}
