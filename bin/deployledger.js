#!/usr/bin/env node
// Runs the bundled server (build/cli.mjs, made by `npm run build:server` at install) when it is
// at least as new as every source file; otherwise the TypeScript sources directly (tsx), so an
// edited checkout never runs a stale bundle.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

// V8 settings for the server's memory (docs/operations.md#memory), set before anything compiles
// WebAssembly or grows the heap; Node takes neither from NODE_OPTIONS. `--liftoff-only`: V8 keeps
// Prisma's query compiler and PGlite (WebAssembly) in its baseline code (about 70 MiB less);
// `--expose-gc`: the server collects and shrinks its heap once when it goes quiet after load
// (server/heap-trim.ts). `--optimize-for-size` (JS heap kept near its live size) roughly doubled
// the CPU time per request where V8 gets it at start (Node 22.15+, the re-exec below), so only
// Node 20, which sets flags at run time and gained little from dropping it, keeps it.
// DEPLOYLEDGER_V8_FLAGS replaces them.
const SERVE_V8_FLAGS =
  typeof process.execve === 'function'
    ? '--liftoff-only --expose-gc'
    : '--liftoff-only --optimize-for-size --expose-gc';
const command = process.argv.slice(2).find((arg) => !arg.startsWith('-')) ?? 'serve';
const v8Flags = (process.env.DEPLOYLEDGER_V8_FLAGS ?? (command === 'serve' ? SERVE_V8_FLAGS : ''))
  .split(/\s+/)
  .filter(Boolean);
const notAFlag = v8Flags.find((flag) => !/^--[a-z][a-z0-9-]*(=\S+)?$/.test(flag));
if (notAFlag) {
  console.error(
    `deployledger: DEPLOYLEDGER_V8_FLAGS: "${notAFlag}" is not a V8 flag (--name or --name=value)`,
  );
  process.exit(1);
}
// glibc's malloc settings for `serve`, read once at start (so only through the re-exec below):
// two arenas instead of eight per core, and blocks of 128 KiB and more mapped on their own and
// free memory given back at once, instead of the thresholds glibc raises after the first large
// block is freed (which kept 10–15 MiB of freed memory resident). Variables already set win.
const SERVE_MALLOC_ENV = {
  MALLOC_ARENA_MAX: '2',
  GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072',
};
const mallocEnv =
  command === 'serve'
    ? Object.fromEntries(Object.entries(SERVE_MALLOC_ENV).filter(([name]) => process.env[name] === undefined))
    : {};
// Node 20's V8 takes the flags at run time; later V8s freeze their flags once started, so there
// the process replaces itself (same pid, signals and stdio) with one started with them.
const missing = v8Flags.filter((flag) => !process.execArgv.includes(flag));
const reexec = missing.length > 0 || Object.keys(mallocEnv).length > 0;
if (reexec && typeof process.execve === 'function' && !process.env.DEPLOYLEDGER_V8_EXECVE) {
  process.execve(
    process.execPath,
    [process.execPath, ...process.execArgv, ...missing, ...process.argv.slice(1)],
    { ...process.env, ...mallocEnv, DEPLOYLEDGER_V8_EXECVE: '1' },
  );
}
for (const flag of missing) v8.setFlagsFromString(flag);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'build', 'cli.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (/\.(ts|tsx)$/.test(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

const fresh =
  process.env.DEPLOYLEDGER_FROM_SOURCE !== '1' &&
  existsSync(bundle) &&
  statSync(bundle).mtimeMs >= newestSource(path.join(root, 'server'));

if (fresh) {
  await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../server/cli.ts');
}
