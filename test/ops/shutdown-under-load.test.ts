import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, SHA } from '../helpers/api.ts';
import { delivery, sample, send } from '../helpers/deliveries.ts';
import { type KubeApiServer, startKubeApiServer } from '../helpers/kube-apiserver.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { ROOT } from '../helpers/server.ts';

// The field report: `npm start` with piped output, signed deliveries and API calls arriving,
// SIGTERM sent to the process group twice, and the starter (the pipe's reader) gone at once.
// Servers were left running for 40 minutes. Whatever the load, the process must end.
const TOKEN = 'test-key-sigterm-0123456789';
const SECRET = 'sigterm-webhook-secret';
const GRACE_MS = 3000;

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

/** What is left of the process group, each process with its threads' names and wait channels. */
function stillThere(pgid: number): string {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return '?';
    }
  };
  const rows = execFileSync('ps', ['-e', '-o', 'pgid=,pid=,stat=,args='], { encoding: 'utf8' });
  return rows
    .split('\n')
    .filter((row) => row.trim().split(/\s+/)[0] === String(pgid))
    .map((row) => {
      const pid = row.trim().split(/\s+/)[1];
      let tids: string[] = [];
      try {
        tids = readdirSync(`/proc/${pid}/task`);
      } catch {
        // gone since ps listed it
      }
      const threads = tids.map(
        (tid) => `${read(`/proc/${pid}/task/${tid}/comm`)}:${read(`/proc/${pid}/task/${tid}/wchan`)}`,
      );
      return `${row.trim()} [${threads.join(' ')}]`;
    })
    .join('; ');
}

async function startAsUserDoes(env: Record<string, string>) {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    detached: true, // its own process group, as a terminal or a supervisor gives it
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DEPLOYLEDGER_API_KEYS: `acme/shop=${TOKEN}`,
      GITHUB_WEBHOOK_SECRET: SECRET,
      DEPLOYLEDGER_SHUTDOWN_GRACE_MS: String(GRACE_MS),
      GITHUB_TOKEN: undefined,
      KUBECONFIG: undefined,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`did not start: ${buffer}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /"port":(\d+)[^\n]*"msg":"listening"/.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${match[1]}`);
      }
    });
  });
  return { child, url, pgid: child.pid as number };
}

/** API creates and signed deliveries until stopped; errors are expected once it shuts down. */
function load(url: string, round: number) {
  let running = true;
  const api = apiClient(url, TOKEN);
  const loops = Array.from({ length: 6 }, async (_, lane) => {
    for (let i = 0; running; i++) {
      const work =
        lane % 2 === 0
          ? api.create(`${round}${lane}${i}-1`, {
              repository: 'acme/shop',
              environment: `load-${round}-${lane}-${i}`,
              sha: SHA,
              state: 'running',
            })
          : send(url, SECRET, delivery('deployment_status', sample('deployment_status')));
      await work.catch(() => {});
    }
  });
  return () => {
    running = false;
    return Promise.all(loops);
  };
}

describe('SIGTERM ends the server, whatever it is doing', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let cluster: KubeApiServer;
  beforeAll(async () => {
    db = await createTestDatabase();
    cluster = await startKubeApiServer();
  });
  afterAll(async () => {
    await cluster.close();
    await db.drop();
  });

  it('under load, with the output pipe closed and the signal sent twice, every time', async () => {
    const rounds = 8;
    const left: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const watcher: Record<string, string> = round % 2 === 0 ? { KUBECONFIG: cluster.kubeconfigPath } : {};
      const { child, url, pgid } = await startAsUserDoes({ DATABASE_URL: db.url, ...watcher });
      const stopLoad = load(url, round);
      await new Promise((resolve) => setTimeout(resolve, 300 + 100 * round));
      // The starter exits at once: nobody reads the server's stdout or stderr any more.
      child.stdout.destroy();
      child.stderr.destroy();
      process.kill(-pgid, 'SIGTERM');
      if (round % 4 !== 3) process.kill(-pgid, 'SIGTERM');
      const deadline = Date.now() + GRACE_MS + 5000;
      while (groupAlive(pgid) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      if (groupAlive(pgid)) {
        left.push(`round ${round}: ${stillThere(pgid)}`);
        process.kill(-pgid, 'SIGKILL');
      }
      await stopLoad();
    }
    expect(left, 'rounds whose server outlived its grace period').toEqual([]);
  }, 300_000);
});
