import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The file name libpq and node-postgres look for in a socket folder (`host=/that/folder`). */
export const SOCKET_FILE = '.s.PGSQL.5432';

// sun_path holds 108 bytes on Linux and 104 on macOS, the terminating NUL included.
const MAX_SOCKET_PATH = 100;

/**
 * Where the owner of a data dir listens: inside the data dir, so the dir's permissions guard it,
 * unless that path is too long for a Unix socket; then a per-data-dir folder in the temp dir.
 */
export function socketDirFor(dataDir: string): string {
  const inside = path.resolve(dataDir);
  if (path.join(inside, SOCKET_FILE).length <= MAX_SOCKET_PATH) return inside;
  const id = createHash('sha256').update(inside).digest('hex').slice(0, 16);
  return path.join(tmpdir(), `deployledger-${id}`);
}
