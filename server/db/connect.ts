import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Database } from './database.ts';
import { DataDirInUseError, NoLedgerError } from './embedded/errors.ts';
import { ownDataDir, PGDATA } from './embedded/own-data-dir.ts';
import { LOCK_FILE, readOwner } from './embedded/owner-lock.ts';
import { openPool } from './postgres-pool.ts';

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  poolSize?: number;
  /** Who opens it, written into an embedded data dir's lock for others to see (`serve`, `keys create`). */
  command?: string;
  /** Refuse, rather than go through, a data dir that another process owns (the server). */
  exclusive?: boolean;
  /** Fail with NoLedgerError instead of creating an embedded database where there is none. */
  mustExist?: boolean;
}

// How long a command waits for the owner of a data dir to start listening.
const OWNER_WAIT_MS = 20_000;
// Connections the owner accepts beyond its own pool: CLI commands beside a running server.
const GUEST_CONNECTIONS = 32;

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const poolSize = options.poolSize ?? 10;
  if (options.databaseUrl) {
    return openPool('postgresql', { connectionString: options.databaseUrl, max: poolSize });
  }
  return openEmbedded(path.resolve(options.dataDir), poolSize, options);
}

/**
 * The embedded database has one owner per data dir. The first process to open it owns it and
 * serves it on a Unix socket; a command started beside it (`keys create` while the server runs)
 * connects to that socket, as to PostgreSQL, instead of opening the files a second time.
 */
async function openEmbedded(dataDir: string, poolSize: number, options: DatabaseOptions) {
  const { command = 'deployledger', exclusive = false, mustExist = false } = options;
  const neverOpened =
    !existsSync(path.join(dataDir, PGDATA, 'PG_VERSION')) && !existsSync(path.join(dataDir, LOCK_FILE));
  if (mustExist && neverOpened) throw new NoLedgerError(`the embedded data dir ${dataDir}`);
  const deadline = Date.now() + OWNER_WAIT_MS;
  for (;;) {
    const owner = await ownDataDir(dataDir, command, poolSize + GUEST_CONNECTIONS, { create: !mustExist });
    if (owner === 'absent') throw new NoLedgerError(`the embedded data dir ${dataDir}`);
    if (owner) return openPool('embedded', socketConfig(owner.socketDir, poolSize), () => owner.close());
    const info = readOwner(dataDir);
    if (exclusive) throw new DataDirInUseError(dataDir, info);
    if (info?.socketDir) {
      const guest = openPool('embedded', socketConfig(info.socketDir, Math.min(poolSize, 4)));
      try {
        await guest.prisma.$queryRaw`SELECT 1`;
        return guest;
      } catch {
        await guest.close().catch(() => {});
      }
    }
    // The owner is still starting, or just stopped: look again, or take the data dir over.
    if (Date.now() > deadline) throw new DataDirInUseError(dataDir, info, 'did not answer on its socket');
    await sleep(100);
  }
}

function socketConfig(socketDir: string, max: number): pg.PoolConfig {
  return { host: socketDir, user: 'postgres', database: 'postgres', max };
}
