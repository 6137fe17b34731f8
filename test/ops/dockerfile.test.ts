import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/server.ts';

const run = promisify(execFile);

/** The Dockerfile's instructions, joined across line continuations. */
function instructions(): Array<{ op: string; args: string; stage: number }> {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  let stage = -1;
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      if (op === 'FROM') stage++;
      return { op, args: rest.join(' '), stage };
    });
}

// No Docker engine runs here: the build stage's COPY and RUN steps are carried out in a fresh
// folder, then the final stage's CMD is started and its HEALTHCHECK run, as the image would.
describe('Dockerfile', () => {
  it('is multi-stage, Node 26 (the active LTS), non-root, with a HEALTHCHECK', () => {
    const steps = instructions();
    const from = steps.filter((s) => s.op === 'FROM').map((s) => s.args);
    expect(from.length).toBeGreaterThanOrEqual(2);
    expect(from.every((image) => image.startsWith('node:26-'))).toBe(true);
    expect(steps.find((s) => s.op === 'USER')?.args).toBe('node');
    expect(steps.some((s) => s.op === 'HEALTHCHECK')).toBe(true);
  });

  it('builds and starts from a fresh folder, and its health check passes', { timeout: 300_000 }, async () => {
    const steps = instructions();
    const dir = mkdtempSync(path.join(tmpdir(), 'deployledger-image-'));
    for (const step of steps.filter((s) => s.stage === 0)) {
      if (step.op === 'COPY') {
        const parts = step.args.split(/\s+/).filter((p) => !p.startsWith('--'));
        const target = parts.pop() as string;
        for (const source of parts) {
          const to =
            target.endsWith('/') || parts.length > 1
              ? path.join(dir, path.basename(source))
              : path.join(dir, target);
          cpSync(path.join(ROOT, source), to, { recursive: true });
        }
      }
      if (step.op === 'RUN') await run('sh', ['-c', step.args], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
    }
    const cmd = JSON.parse(steps.find((s) => s.op === 'CMD')?.args ?? '[]') as string[];
    const healthcheck = steps.find((s) => s.op === 'HEALTHCHECK')?.args ?? '';
    const checkCommand = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim()) as string[];
    const port = String(20_000 + Math.floor(Math.random() * 20_000));
    const env = {
      ...process.env,
      PORT: port,
      HOST: '127.0.0.1',
      DEPLOYLEDGER_DATA_DIR: path.join(dir, 'data'),
      DATABASE_URL: '',
    };
    const server = spawn(process.execPath, cmd.slice(1), {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const listening = await new Promise<boolean>((resolve) => {
        server.stdout.on(
          'data',
          (chunk: Buffer) => chunk.toString().includes('"msg":"listening"') && resolve(true),
        );
        server.once('exit', () => resolve(false));
      });
      expect(listening).toBe(true);
      const check = await run(process.execPath, checkCommand.slice(1), { env }).then(
        () => 0,
        (error: { code: number }) => error.code,
      );
      expect(check).toBe(0);
    } finally {
      server.kill('SIGTERM');
    }
  });
});
