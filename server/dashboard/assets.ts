import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import { DASHBOARD_ASSETS_DIR } from '../paths.ts';
import { getAsset } from './operations.ts';

const read = (name: string) => readFileSync(path.join(DASHBOARD_ASSETS_DIR, name), 'utf8');

const ASSETS: Record<string, { body: string; type: string }> = {
  'style.css': { body: read('style.css'), type: 'text/css; charset=utf-8' },
  'live.js': { body: read('live.js'), type: 'text/javascript; charset=utf-8' },
};

/** The dashboard's only stylesheet and script, served from this process (works air-gapped). */
export function assetRoutes() {
  const app = new OpenAPIHono();
  app.openapi(getAsset, (c) => {
    const asset = ASSETS[c.req.param('name')];
    if (!asset) return c.notFound();
    return c.body(asset.body, 200, { 'content-type': asset.type, 'cache-control': 'public, max-age=300' });
  });
  return app;
}
