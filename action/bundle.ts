// `npm run build:action`: bundles the Action into dist/. The output depends only on the sources
// (paths are relative to the repository): CI rebuilds it and fails when dist/ differs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleOptions, distPackageJson } from './bundle-options.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({ ...bundleOptions, absWorkingDir: root });
mkdirSync(`${root}dist`, { recursive: true });
writeFileSync(`${root}dist/package.json`, distPackageJson);
