import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root folder, found from this module's own location, so the same code works from
 * the TypeScript sources (server/) and from the bundle (build/).
 */
function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'prisma', 'migrations'))) {
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error('cannot find the project root (the folder holding prisma/migrations)');
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT = findRoot();
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'prisma', 'migrations');
export const DASHBOARD_ASSETS_DIR = path.join(PROJECT_ROOT, 'server', 'dashboard', 'assets');
