import { spawn } from 'node:child_process';
import { ROOT } from './server.ts';

/**
 * Runs `deployledger <args>` as a user does, and returns its exit code and output. `wrapper` is a
 * command it runs under (e.g. `/usr/bin/time -f …`), whose output joins stderr.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, wrapper: string[] = []) {
  const command = [...wrapper, process.execPath, 'bin/deployledger.js', ...args];
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(command[0] as string, command.slice(1), {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
