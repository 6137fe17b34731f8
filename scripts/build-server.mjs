// Bundles the server (server/cli.ts) into build/cli.mjs with esbuild: dependencies stay in
// node_modules; only our TypeScript is compiled. Running the bundle with plain `node` avoids the
// TypeScript loader's per-import cost (about a third of a create's CPU time under load).
import { build } from 'esbuild';

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
});
