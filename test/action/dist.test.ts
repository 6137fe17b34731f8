import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleOptions, distPackageJson } from '../../action/bundle-options.ts';
import { ROOT } from '../helpers/server.ts';

describe('dist/', () => {
  it('is exactly what the bundler makes from action/ (else: npm run build:action)', async () => {
    const fresh = await build({ ...bundleOptions, absWorkingDir: ROOT, write: false });
    const bundled = fresh.outputFiles.find((file) => file.path.endsWith(path.join('dist', 'index.js')));
    const committed = readFileSync(path.join(ROOT, 'dist/index.js'), 'utf8');
    expect(bundled?.text === committed, 'dist/index.js is stale: run npm run build:action').toBe(true);
    expect(readFileSync(path.join(ROOT, 'dist/package.json'), 'utf8')).toBe(distPackageJson);
  });
});
