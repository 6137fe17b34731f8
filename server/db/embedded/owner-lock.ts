import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import fsx from 'fs-native-extensions';

/** Who holds an embedded data dir, as its owner wrote it into the lock file. */
export interface OwnerInfo {
  pid: number;
  command: string;
  since: string;
  /** The folder holding the owner's PostgreSQL socket (`.s.PGSQL.5432`), once it listens. */
  socketDir: string | null;
}

export interface OwnerLock {
  readonly file: string;
  /** Rewrites the owner record (e.g. once the socket listens). */
  announce(info: Partial<OwnerInfo>): void;
  release(): void;
}

export const LOCK_FILE = 'owner.lock';

/**
 * Takes the data dir's exclusive lock, or returns null when another process holds it. The lock
 * is an OS file lock (open-file-description lock on Linux, flock elsewhere): the kernel drops it
 * when the holder exits in any way, SIGKILL included, so a dead owner's lock is never "stale"
 * and a live owner's is never taken over.
 */
export function tryLockDataDir(dataDir: string, command: string): OwnerLock | null {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  const fd = openSync(file, 'a+');
  if (!fsx.tryLock(fd)) {
    closeSync(fd);
    return null;
  }
  let info: OwnerInfo = { pid: process.pid, command, since: new Date().toISOString(), socketDir: null };
  const write = () => {
    const text = `${JSON.stringify(info)}\n`;
    ftruncateSync(fd, 0);
    writeSync(fd, text, 0);
  };
  write();
  let held = true;
  return {
    file,
    announce(update) {
      info = { ...info, ...update };
      write();
    },
    release() {
      if (!held) return;
      held = false;
      try {
        ftruncateSync(fd, 0);
      } finally {
        closeSync(fd); // closing the descriptor releases the lock
      }
    },
  };
}

/** The owner record in the lock file; null when it is empty or half written. */
export function readOwner(dataDir: string): OwnerInfo | null {
  try {
    const text = readFileSync(path.join(dataDir, LOCK_FILE), 'utf8').trim();
    return text ? (JSON.parse(text) as OwnerInfo) : null;
  } catch {
    return null;
  }
}
