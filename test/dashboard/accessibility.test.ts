import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../helpers/api.ts';
import { wcagViolations } from '../helpers/axe.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { type SeededDeployment, seedShopHistory } from '../helpers/dora-history.ts';
import { type SeededRollback, seedRollback } from '../helpers/rollback-history.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const SHOP_KEY = 'test-key-a11y-shop-0123456789abcdef';

// Every dashboard page, as axe-core measures WCAG 2.1 AA in Chromium: no violation at all
// (nested-interactive, colour contrast, names, landmarks…), at a desktop's and a phone's width.
describe('dashboard accessibility (WCAG 2.1 AA, axe-core)', () => {
  let server: RunningServer;
  let browser: Browser;
  let seeded: SeededDeployment[];
  let rollback: SeededRollback;
  const pages = () => {
    const production = seeded.find((d) => d.environment === 'production');
    return [
      '/dashboard',
      '/dashboard/environments/acme/shop/production',
      '/dashboard/environments/acme/shop/production?state=failure',
      `/dashboard/deployments/${production?.id}`,
      '/dashboard/dora?repository=acme/shop&days=30',
      // The rollback and redeploy labels, in the history and on a deployment page.
      '/dashboard/environments/acme/shop/canary',
      `/dashboard/deployments/${rollback.ids[2]}`,
    ];
  };

  async function signedIn(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${server.url}/dashboard/sign-in`);
    await page.fill('input[name="key"]', SHOP_KEY);
    await Promise.all([page.waitForURL(`${server.url}/dashboard`), page.click('form button[type="submit"]')]);
    return page;
  }

  beforeAll(async () => {
    server = await startServer({
      DEPLOYLEDGER_API_KEYS: `acme/shop=${SHOP_KEY}`,
      DEPLOYLEDGER_SESSION_SECRET: 'a-test-session-secret-of-at-least-32-chars',
      DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0',
    });
    seeded = await seedShopHistory(apiClient(server.url, SHOP_KEY), new Date());
    rollback = await seedRollback(apiClient(server.url, SHOP_KEY), 'canary');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the sign-in page, empty and with an error', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/dashboard/sign-in`);
    expect(await wcagViolations(page)).toEqual([]);
    await page.fill('input[name="key"]', 'not-a-key-of-this-server-at-all');
    await page.click('form button[type="submit"]');
    await page.locator('.error').waitFor();
    expect(await wcagViolations(page)).toEqual([]);
    await context.close();
  });

  for (const viewport of [
    { width: 1280, height: 900 },
    { width: 390, height: 844 },
  ]) {
    it(`every signed-in page at ${viewport.width}px`, async () => {
      const context = await browser.newContext({ viewport });
      const page = await signedIn(context);
      const found: Record<string, string[]> = {};
      for (const path of pages()) {
        await page.goto(`${server.url}${path}`);
        found[path] = await wcagViolations(page);
      }
      expect(found).toEqual(Object.fromEntries(pages().map((path) => [path, []])));
      await context.close();
    });
  }
});
