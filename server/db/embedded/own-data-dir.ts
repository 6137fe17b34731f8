import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { tryLockDataDir } from './owner-lock.ts';
import { SOCKET_FILE, socketDirFor } from './socket-path.ts';
import { withWholeSequences } from './whole-sequences.ts';

/** This process owns the data dir: its PGlite, served on a Unix socket. */
export interface EmbeddedOwner {
  /** Connect here as to PostgreSQL (`host=<socketDir>`); every client, this process's too. */
  readonly socketDir: string;
  close(): Promise<void>;
}

export const PGDATA = 'pgdata';

/**
 * Takes the data dir's lock and opens PGlite on it, or returns null when another process owns it.
 *
 * The owner serves its PGlite over the PostgreSQL wire protocol (pglite-socket) and uses it only
 * through that socket, like any other client: PGlite is one backend, and the socket server's
 * multiplexer (with whole extended-protocol sequences, see whole-sequences.ts) is what keeps one
 * client's transaction or query from taking in another's statements. A second in-process path
 * beside it would bypass that.
 */
export async function ownDataDir(
  dataDir: string,
  command: string,
  maxConnections: number,
  { create }: { create: boolean },
): Promise<EmbeddedOwner | 'absent' | null> {
  const lock = tryLockDataDir(dataDir, command);
  if (!lock) return null;
  const pgdata = path.join(dataDir, PGDATA);
  if (!create && !existsSync(path.join(pgdata, 'PG_VERSION'))) {
    lock.release();
    return 'absent';
  }
  let pglite: PGlite | undefined;
  try {
    if (!existsSync(path.join(pgdata, 'PG_VERSION'))) await initialise(pgdata);
    pglite = await openPglite(pgdata);
    const socketDir = socketDirFor(dataDir);
    mkdirSync(socketDir, { recursive: true, mode: 0o700 });
    const socketPath = path.join(socketDir, SOCKET_FILE);
    // A socket file left by an owner that died; we hold the lock, so nobody listens on it.
    rmSync(socketPath, { force: true });
    const server = new PGLiteSocketServer({
      db: withWholeSequences(pglite),
      path: socketPath,
      maxConnections,
    });
    await server.start();
    chmodSync(socketPath, 0o600);
    lock.announce({ socketDir });
    const db = pglite;
    return {
      socketDir,
      async close() {
        try {
          await server.stop();
          await db.close();
          rmSync(socketPath, { force: true });
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    await pglite?.close().catch(() => {});
    lock.release();
    throw error;
  }
}

/**
 * Creates the database beside its final place and renames it there once complete, so a kill
 * during the first start leaves either no database or a whole one, never half an initdb.
 */
async function initialise(pgdata: string) {
  // Each start initialises into a folder of its own: an initdb child left running by a killed
  // server (it exits once it notices) never writes into this start's folder.
  const partial = `${pgdata}.partial-${process.pid}`;
  const parent = path.dirname(pgdata);
  for (const name of readdirSync(parent)) {
    if (name.startsWith(`${PGDATA}.partial`)) removeLeftover(path.join(parent, name));
  }
  // A pgdata without PG_VERSION is what an older version's interrupted first start left.
  if (existsSync(pgdata)) renameSync(pgdata, `${pgdata}.incomplete-${Date.now()}`);
  await initdbInChildProcess(partial);
  renameSync(partial, pgdata);
}

/**
 * Removes a folder an earlier start left. Its initdb child may still be writing into it for a
 * moment after that start was killed (ENOTEMPTY while removing): retried briefly, else left for
 * the next start, as this start never uses it.
 */
function removeLeftover(dir: string) {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  } catch {}
}

/**
 * PGlite's initdb runs in a process of its own: the WASM memory it grows (about 450 MiB) is
 * never given back to the system while the process that ran it lives, so a server that made its
 * own data dir carried it for its whole life.
 */
async function initdbInChildProcess(dir: string) {
  const pglite = import.meta.resolve('@electric-sql/pglite');
  // The child ends when its stdin closes: when this process ends, even by SIGKILL.
  const script = `process.stdin.on('close', () => process.exit(1)).resume();
const { PGlite } = await import(${JSON.stringify(pglite)});
const db = await PGlite.create(process.argv[1]);
await db.close();
process.exit(0);`;
  try {
    await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, dir]);
  } catch (error) {
    const reason = (error as { stderr?: string }).stderr?.trim() || String(error);
    throw new Error(`the embedded database could not be created in ${dir} (${reason})`);
  }
}

// PostgreSQL's default shared_buffers (128 MB) lives in PGlite's WASM memory, which only grows:
// once a large history has passed through the cache it is all resident. 32 MB keeps the hot
// pages (indexes of active records, the inbox) and leaves the rest to the OS page cache.
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'];

async function openPglite(pgdata: string): Promise<PGlite> {
  try {
    return await PGlite.create(pgdata, { startParams: START_PARAMS });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `the embedded database in ${pgdata} could not be opened (${reason}). ` +
        'Restore the data dir from a backup, or move it aside to start empty.',
    );
  }
}
