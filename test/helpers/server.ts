import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const PROBLEM_LEVELS = ['"level":"warn"', '"level":"error"', '"level":"fatal"'];

export interface RunningServer {
  url: string;
  logs: string[];
  process: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  /**
   * Which of the server's lines to keep in `logs` once it listens: 'all' (tests read them), or
   * 'problems' (warnings and worse: a benchmark's load generator shares this process and must not
   * split and keep every request's lines, two a create, hundreds of MiB over a run).
   */
  keepLogs?: 'all' | 'problems';
}

/**
 * Starts the server as a user does (`node bin/deployledger.js serve`, i.e. `npm start`) on a
 * free port and resolves once it logs that it is listening.
 */
export async function startServer(
  env: Record<string, string | undefined> = {},
  { keepLogs = 'all' }: StartOptions = {},
): Promise<RunningServer> {
  const dataDir = env.DEPLOYLEDGER_DATA_DIR ?? mkdtempSync(path.join(tmpdir(), 'deployledger-test-'));
  const child = spawn(process.execPath, ['bin/deployledger.js', 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DEPLOYLEDGER_LOG_LEVEL: 'info',
      DEPLOYLEDGER_DATA_DIR: dataDir,
      // Nothing from the developer's shell may point a test server at real GitHub or a cluster.
      GITHUB_TOKEN: undefined,
      GITHUB_APP_ID: undefined,
      GITHUB_APP_PRIVATE_KEY: undefined,
      GITHUB_WEBHOOK_SECRET: undefined,
      KUBECONFIG: undefined,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let listening = false;
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    // A server that never says it listens is stopped, so a failed start leaves no process behind.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 60 s (stopped):\n${logs.join('\n')}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      if (listening && keepLogs === 'problems') {
        // A line cut by a chunk's end may be kept in part: enough to see what went wrong.
        if (PROBLEM_LEVELS.some((level) => chunk.includes(level)))
          logs.push(
            ...chunk
              .toString()
              .split('\n')
              .filter((line) => PROBLEM_LEVELS.some((l) => line.includes(l))),
          );
        return;
      }
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        logs.push(line);
        if (line.includes('"msg":"listening"')) {
          listening = true;
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${JSON.parse(line).port}`);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${logs.join('\n')}`));
    });
  });
  return {
    url,
    logs,
    process: child,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** The servers' error-level log lines: what a failed assertion on their answers shows about why. */
export function errorLines(servers: RunningServer[]): string {
  return servers
    .flatMap((server) => server.logs.filter((line) => line.includes('"level":"error"')))
    .slice(0, 5)
    .join('\n');
}
