import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../helpers/api.ts';
import { launchBrowser, screenshot } from '../helpers/browser.ts';
import {
  expectedFigures,
  type SeededDeployment,
  seedShopHistory,
  XSS_DESCRIPTION,
} from '../helpers/dora-history.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { seedRollback } from '../helpers/rollback-history.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const SHOP_KEY = 'test-key-dashboard-shop-0123456789';
const OTHER_KEY = 'test-key-dashboard-other-0123456789';
const XSS = XSS_DESCRIPTION;
const DAY = 24 * 3600_000;

describe('dashboard in a real browser', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: RunningServer;
  let browser: Browser;
  let shop: BrowserContext;
  let seeded: SeededDeployment[];
  const shopApi = () => apiClient(server.url, SHOP_KEY);
  const seededIn = (environment: string) => seeded.filter((d) => d.environment === environment);

  async function signIn(context: BrowserContext, key: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${server.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
    await page.fill('input[name="key"]', key);
    await Promise.all([page.waitForURL(`${server.url}/dashboard`), page.click('form button[type="submit"]')]);
    return page;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer({
      DATABASE_URL: db.url,
      DEPLOYLEDGER_API_KEYS: `acme/shop=${SHOP_KEY},acme/other=${OTHER_KEY}`,
      DEPLOYLEDGER_SESSION_SECRET: 'a-test-session-secret-of-at-least-32-chars',
      DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0',
    });
    seeded = await seedShopHistory(shopApi(), new Date());
    const other = await apiClient(server.url, OTHER_KEY).create('1-1', {
      repository: 'acme/other',
      environment: 'production',
      sha: 'd'.repeat(40),
      state: 'success',
    });
    expect(other.status).toBe(201);
    browser = await launchBrowser();
    shop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await db?.drop();
  });

  it('signed out, every page leads to the sign-in page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    for (const path of ['/dashboard', `/dashboard/deployments/${seeded[0]!.id}`, '/dashboard/dora']) {
      const response = await page.goto(`${server.url}${path}`);
      expect(response?.status()).toBe(200);
      expect(new URL(page.url()).pathname).toBe('/dashboard/sign-in');
      expect(await page.locator('input[name="key"]').count()).toBe(1);
      expect(await page.content()).not.toContain('acme/shop');
    }
    await page.fill('input[name="key"]', 'not-a-key-of-this-server-at-all');
    await page.click('form button[type="submit"]');
    expect(await page.locator('.error').textContent()).toContain('not a valid project API key');
    await screenshot(page, 'sign-in');
    await context.close();
  });

  it('serves every page, fragment, asset and redirect with its security headers', async () => {
    const context = await browser.newContext();
    const signedOut = await fetch(`${server.url}/dashboard`, { redirect: 'manual' });
    expect(signedOut.status).toBe(302);
    const page = await signIn(context, SHOP_KEY);
    const paths = [
      '/dashboard',
      '/dashboard/environments/acme/shop/production',
      `/dashboard/deployments/${seeded[0]!.id}`,
      '/dashboard/dora',
      '/dashboard/fragments/environments',
      '/dashboard/assets/style.css',
    ];
    const answers = [
      signedOut.headers,
      await fetch(`${server.url}/dashboard/sign-in`).then((r) => r.headers),
    ];
    for (const path of paths) {
      const response = await page.request.get(`${server.url}${path}`);
      expect(response.status(), path).toBe(200);
      answers.push(new Headers(response.headers()));
    }
    for (const headers of answers) {
      expect(headers.get('content-security-policy')).toBe(
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(headers.get('strict-transport-security')).toBe('max-age=15552000; includeSubDomains');
    }
    await context.close();
  });

  it('shows the current deployment of each environment, active first', async () => {
    const page = await signIn(shop, SHOP_KEY);
    const shown = await page
      .locator('#environments tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [tr.getAttribute('data-environment'), tr.getAttribute('data-deployment')]),
      );
    const last = (environment: string) => seededIn(environment).at(-1)!.id;
    expect(shown).toEqual([
      ['acme/shop/production', last('production')],
      ['acme/shop/staging', last('staging')],
      ['acme/shop/qa', last('qa')],
    ]);
    const qa = page.locator('tr[data-environment="acme/shop/qa"]');
    expect(await qa.locator('.badge').textContent()).toBe('failure');
    expect(await qa.locator('td[data-label="URL"]').textContent()).toBe('https://qa.shop.example');
    expect(await page.locator('tr[data-environment="acme/shop/production"] .badge').textContent()).toBe(
      'in progress',
    );
    await screenshot(page, 'environments');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'environments-phone');
    await page.close();
  });

  it('shows a status posted through the API on an open page without a reload', async () => {
    const page = await shop.newPage();
    await page.goto(`${server.url}/dashboard`);
    await page.locator('html[data-live="connected"]').waitFor({ state: 'attached' });
    await page.evaluate(() => {
      (globalThis as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    const staging = seededIn('staging')[0]!;
    const badge = page.locator('tr[data-environment="acme/shop/staging"] .badge');
    expect(await badge.textContent()).toBe('in progress');
    expect((await shopApi().status(staging.id, { state: 'success' })).status).toBe(200);
    await page
      .locator('tr[data-environment="acme/shop/staging"] .badge', { hasText: /^success$/ })
      .waitFor({ timeout: 10_000 });
    expect(
      await page.evaluate(() => (globalThis as unknown as { sameDocument?: boolean }).sameDocument),
    ).toBe(true);
    await page.close();
  });

  it('lists every timeline event of a deployment, an ignored one with its reason', async () => {
    const deployment = seededIn('production')[3]!;
    const late = await shopApi().status(deployment.id, { state: 'in_progress' });
    expect(late.body).toMatchObject({ applied: false });
    const { events } = (await shopApi().get(deployment.id)).body as {
      events: Array<{ source: string; state: string; applied: boolean; reason: string | null }>;
    };
    const page = await shop.newPage();
    await page.goto(`${server.url}/dashboard/deployments/${deployment.id}`);
    const rows = await page.locator('.timeline tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        source: tr.querySelector('[data-label="Source"]')?.textContent,
        state: tr.querySelector('[data-label="State"]')?.textContent,
        applied: tr.getAttribute('data-applied') === 'true',
        reason: tr.querySelector('[data-label="Reason"]')?.textContent || null,
      })),
    );
    expect(rows).toEqual(
      events.map(({ source, state, applied, reason }) => ({ source, state, applied, reason })),
    );
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const ignored = rows.filter((row) => !row.applied);
    expect(ignored).toEqual([
      { source: 'action', state: 'in_progress', applied: false, reason: late.body.reason },
    ]);
    expect(ignored[0]!.reason).toBeTruthy();
    expect(await page.locator('a[href="https://production.shop.example/"]').count()).toBe(1);
    await screenshot(page, 'deployment');
    await page.close();
  });

  it('shows the 90-day strip and the paginated, filterable history of one environment', async () => {
    const page = await shop.newPage();
    await page.goto(`${server.url}/dashboard/environments/acme/shop/production`);
    const marks = await page
      .locator('svg.strip rect.mark')
      .evaluateAll((rects) => rects.map((r) => r.getAttribute('data-state')));
    expect(marks).toHaveLength(5);
    const rows = await page
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-deployment')));
    expect(rows).toEqual(
      seededIn('production')
        .map((d) => d.id)
        .reverse(),
    );
    await page.selectOption('select[name="state"]', 'failure');
    await Promise.all([page.waitForURL(/state=failure/), page.click('form.filters button')]);
    expect(
      await page
        .locator('tbody tr')
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-deployment'))),
    ).toEqual([seededIn('production')[1]!.id]);
    await page.goto(`${server.url}/dashboard/environments/acme/shop/production`);
    await screenshot(page, 'history');
    await page.close();
  });

  it('shows the DORA figures the seeded history implies', async () => {
    const page = await shop.newPage();
    const now = Date.now();
    await page.goto(`${server.url}/dashboard/dora?repository=acme/shop&days=30`);
    const section = page.locator('section[data-dora="acme/shop/production"]');
    const figure = async (id: string) => {
      const raw = await section.locator(`[data-figure="${id}"] .value`).getAttribute('data-raw');
      return {
        value: Number(raw),
        band: await section.locator(`[data-figure="${id}"] .badge`).textContent(),
      };
    };
    const expected = expectedFigures(seeded, 'production', new Date(now - 30 * DAY), new Date(now));
    // By hand: 3 successes in 30 days, leads 2h / 4h / 30m, 1 failure of 4, restored 3h later.
    expect(expected).toEqual({
      perDay: 0.1,
      leadTimeSeconds: 7200,
      changeFailureRate: 0.25,
      timeToRestoreSeconds: 10_800,
    });
    const frequency = await figure('deployment-frequency');
    expect(frequency.value).toBeCloseTo(expected.perDay, 6);
    expect(frequency.band).toBe('medium');
    expect(await figure('change-lead-time')).toEqual({ value: expected.leadTimeSeconds, band: 'elite' });
    expect(await figure('change-fail-rate')).toEqual({ value: expected.changeFailureRate, band: 'high' });
    expect(await figure('recovery-time')).toEqual({ value: expected.timeToRestoreSeconds, band: 'high' });
    expect(await section.locator('[data-figure="change-lead-time"] .value').textContent()).toBe('2h');
    expect(await section.locator('[data-figure="change-fail-rate"] .value').textContent()).toBe('25.0%');
    // The report year beside every band; rework has no published band.
    expect(await section.locator('.band-year').allTextContents()).toEqual(Array(4).fill('DORA 2024'));
    expect(await section.locator('[data-figure="rework-rate"] .value').getAttribute('data-raw')).toBe('0');
    expect(await section.locator('[data-figure="rework-rate"] .band-note').textContent()).toBe(
      'no band published',
    );
    expect(await section.locator('figure.trend svg').count()).toBe(5);
    await screenshot(page, 'dora');
    await page.close();
  });

  it('labels a rollback and a redeploy in the history and on the deployment page', async () => {
    const { ids, kinds } = await seedRollback(shopApi(), 'canary');
    const page = await shop.newPage();
    await page.goto(`${server.url}/dashboard/environments/acme/shop/canary`);
    const labels = await page
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [tr.getAttribute('data-deployment'), tr.querySelector('.kind')?.textContent ?? null]),
      );
    // Newest first; a forward deployment, the usual case, carries no label.
    expect(labels).toEqual(ids.map((id, i) => [id, kinds[i] === 'forward' ? null : kinds[i]]).reverse());
    await screenshot(page, 'history-rollback');
    await page.goto(`${server.url}/dashboard/deployments/${ids[2]}`);
    const kind = page.locator('dl.record dt:text-is("Kind") + dd');
    expect(await kind.locator('.kind').textContent()).toBe('rollback');
    expect(await kind.textContent()).toContain('ran before');
    await page.goto(`${server.url}/dashboard/deployments/${ids[0]}`);
    expect(await page.locator('dl.record dt:text-is("Kind") + dd .kind').textContent()).toBe('forward');
    await page.close();
  });

  it('shows a key for another repository nothing of this one', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, OTHER_KEY);
    const shown = await page
      .locator('#environments tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-environment')));
    expect(shown).toEqual(['acme/other/production']);
    expect(await page.content()).not.toContain('acme/shop');
    for (const path of [
      `/dashboard/deployments/${seeded[0]!.id}`,
      '/dashboard/environments/acme/shop/production',
      '/dashboard/dora',
      '/dashboard/dora?repository=acme/shop',
      '/dashboard/fragments/environments?repository=acme/shop',
      `/dashboard/fragments/deployments/${seeded[0]!.id}`,
    ]) {
      await page.goto(`${server.url}${path}`);
      const content = await page.content();
      for (const d of seeded) expect(content, path).not.toContain(d.id);
      expect(
        await page.locator('[data-dora="acme/shop/production"], [data-environment^="acme/shop"]').count(),
      ).toBe(0);
    }
    await context.close();
  });

  it('renders an XSS payload in a description as text', async () => {
    const staging = seededIn('staging')[0]!;
    const page = await shop.newPage();
    await page.goto(`${server.url}/dashboard/deployments/${staging.id}`);
    const description = page
      .locator('dl.record dt', { hasText: 'Description' })
      .locator('xpath=following-sibling::dd[1]');
    expect(await description.textContent()).toBe(XSS);
    expect(await page.locator('main script, main img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await page.goto(`${server.url}/dashboard/environments/acme/shop/staging`);
    expect(await page.locator('td[data-label="Description"]').first().textContent()).toBe(XSS);
    expect(await page.locator('main script, main img').count()).toBe(0);
    await page.close();
  });
});
