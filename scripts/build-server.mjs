// Bundles the server (server/cli.ts) into build/cli.mjs with esbuild: dependencies stay in
// node_modules; only our TypeScript is compiled. Running the bundle with plain `node` avoids the
// TypeScript loader's per-import cost (about a third of a create's CPU time under load).
import { build } from 'esbuild';

// Prisma's generated client imports its 3.4 MB query compiler as a module holding it as a 4.4 MB
// base64 string; V8 then keeps that text twice (module source and string literal) for the
// process's life, about 9 MiB of heap. This module reads it only when Prisma decodes it
// (`Buffer.from(wasm, 'base64')` converts it with Symbol.toPrimitive), so it is collected after.
const lazyPrismaWasm = {
  name: 'lazy-prisma-wasm',
  setup(build) {
    build.onResolve({ filter: /^@prisma\/client\/runtime\/.*\.wasm-base64\.mjs$/ }, (args) => ({
      path: args.path,
      namespace: 'lazy-prisma-wasm',
    }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-prisma-wasm' }, (args) => ({
      contents: `import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const file = createRequire(import.meta.url).resolve(${JSON.stringify(args.path)});
export const wasm = {
  [Symbol.toPrimitive]() {
    const text = readFileSync(file, 'latin1');
    return text.slice(text.indexOf('"') + 1, text.lastIndexOf('"'));
  },
};`,
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: ['server/cli.ts'],
  outfile: 'build/cli.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  jsx: 'automatic',
  jsxImportSource: 'hono/jsx',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [lazyPrismaWasm],
});
