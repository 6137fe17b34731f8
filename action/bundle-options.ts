import type { BuildOptions } from 'esbuild';

/** How dist/index.js is made; the build script and the freshness test share it. */
export const bundleOptions = {
  entryPoints: ['action/index.ts'],
  outfile: 'dist/index.js',
  bundle: true,
  platform: 'node',
  // Runners use node24; the bundle must also run on Node 20.
  target: 'node20',
  format: 'esm',
  // Bundled CommonJS dependencies still call require() for Node's built-ins.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  legalComments: 'eof',
  charset: 'utf8',
  logLevel: 'warning',
} satisfies BuildOptions;

/** Beside an ESM bundle, so Node loads dist/index.js as a module. */
export const distPackageJson = `${JSON.stringify({ type: 'module' }, null, 2)}\n`;
