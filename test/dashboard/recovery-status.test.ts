import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wcagViolations } from '../helpers/axe.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { eventually } from '../helpers/deliveries.ts';
import { startGithubApi } from '../helpers/github-api.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { type RunningServer, startServer } from '../helpers/server.ts';

const SHOP_KEY = 'test-key-recovery-line-shop-0123456789';
const OTHER_KEY = 'test-key-recovery-line-other-0123456789';
const SESSION_SECRET = 'a-test-session-secret-of-at-least-32-chars';
const HOOK = 'repo:acme/shop:11';

// What a signed-in user reads on the start page about the recovery of missed GitHub deliveries,
// in each state /readyz reports (off, no credentials, 403, rate limited, ok), in Chromium, and
// with no WCAG 2.1 AA violation (axe-core) in any of them.
describe('the dashboard shows when delivery recovery last ran and why it fails', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let github: Awaited<ReturnType<typeof startGithubApi>>;
  let browser: Browser;
  const servers: RunningServer[] = [];

  const serve = async (env: Record<string, string>) => {
    const server = await startServer({
      DATABASE_URL: db.url,
      DEPLOYLEDGER_API_KEYS: `acme/shop=${SHOP_KEY},acme/other=${OTHER_KEY}`,
      DEPLOYLEDGER_SESSION_SECRET: SESSION_SECRET,
      DEPLOYLEDGER_SWEEP_INTERVAL_SECONDS: '0',
      DEPLOYLEDGER_RECOVERY_INTERVAL_S: '1',
      ...env,
    });
    servers.push(server);
    return server;
  };

  /** Signs in with `key` and opens the start page; returns the page and its recovery line. */
  async function startPage(server: RunningServer, key = SHOP_KEY) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/dashboard/sign-in`);
    await page.fill('input[name="key"]', key);
    await Promise.all([page.waitForURL(`${server.url}/dashboard`), page.click('form button[type="submit"]')]);
    return { page, line: await recoveryLine(page) };
  }

  const recoveryLine = async (page: Page) => {
    const section = page.getByRole('region', { name: 'Missed GitHub deliveries' });
    return {
      status: await section.getAttribute('data-status'),
      text: (await section.innerText()).replace(/\s+/g, ' ').trim(),
    };
  };

  /** Waits until /readyz reports `status` for the hook (what the page renders from). */
  const reported = (server: RunningServer, status: string) =>
    eventually(async () => {
      const ready = (await (await fetch(`${server.url}/readyz`)).json()) as {
        github_recovery: { hooks?: Array<{ hook: string; status: string }> };
      };
      return ready.github_recovery.hooks?.find((hook) => hook.hook === HOOK)?.status === status
        ? true
        : undefined;
    }, 20_000);

  beforeAll(async () => {
    db = await createTestDatabase();
    github = await startGithubApi();
    github.addRepoHook('acme/shop', 11, 'a-webhook-secret');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await server.stop();
    await github?.close();
    await db?.drop();
  });

  it('off: says that missed deliveries are not recovered, and why', async () => {
    const server = await serve({});
    const { page, line } = await startPage(server);
    expect(line).toEqual({
      status: 'off',
      text: 'Missed GitHub deliveries: not recovered (no hook to read: set GitHub App credentials or DEPLOYLEDGER_GITHUB_HOOKS).',
    });
    expect(await wcagViolations(page)).toEqual([]);
    await page.context().close();
    await server.stop();
  });

  it('no credentials: failing, naming what to set; a key of another repository does not see the hook named', async () => {
    const server = await serve({ DEPLOYLEDGER_GITHUB_HOOKS: `${HOOK},org:acme:12` });
    await reported(server, 'failing');
    const { page, line } = await startPage(server);
    expect(line.status).toBe('failing');
    expect(line.text).toContain("Missed GitHub deliveries: recovery from GitHub's delivery log is failing");
    expect(line.text).toContain(
      'acme/shop hook 11: failing (no_credentials): no GitHub credentials: set GITHUB_TOKEN',
    );
    expect(line.text).toContain('organization acme hook 12: failing (no_credentials)');
    expect(line.text).toContain('Last run never, last read completely never');
    expect(await wcagViolations(page)).toEqual([]);
    await page.context().close();

    const other = await startPage(server, OTHER_KEY);
    expect(other.line.text).not.toContain('acme/shop');
    expect(other.line.text).toContain('1 hook(s) of repositories this key cannot see: failing');
    expect(other.line.text).toContain('organization acme hook 12: failing (no_credentials)');
    await other.page.context().close();
    await server.stop();
  });

  it('403, then reading again, then rate limited: each as the user sees it', async () => {
    github.limitNext(1000, { status: 403, message: 'Resource not accessible by integration' });
    const server = await serve({
      GITHUB_TOKEN: 'ghs_without_hook_permission',
      GITHUB_API_URL: github.url,
      DEPLOYLEDGER_GITHUB_HOOKS: HOOK,
    });
    await reported(server, 'failing');
    const denied = await startPage(server);
    expect(denied.line.status).toBe('failing');
    expect(denied.line.text).toMatch(
      /acme\/shop hook 11: failing \(forbidden\): GitHub answered 403 for the hook's delivery log: it needs .*admin:repo_hook.*Resource not accessible by integration.*Last run \d+s ago \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\), last read completely never\./,
    );
    expect(await wcagViolations(denied.page)).toEqual([]);
    await denied.page.context().close();

    // The permission is granted: the next run reads the log.
    github.clearFailures();
    await reported(server, 'ok');
    const ok = await startPage(server);
    expect(ok.line.status).toBe('ok');
    expect(ok.line.text).toMatch(
      /Missed GitHub deliveries: recovered from GitHub's delivery log; the log is read at start and every 1 s\. acme\/shop hook 11: last read \d+s ago \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)\./,
    );
    expect(await wcagViolations(ok.page)).toEqual([]);
    await ok.page.context().close();

    // GitHub's primary rate limit is used up until a reset well after this test.
    const reset = Math.floor(Date.now() / 1000) + 120;
    github.limitNext(1, {
      status: 403,
      message: 'API rate limit exceeded for installation ID 1.',
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
    });
    await reported(server, 'rate_limited');
    const limited = await startPage(server);
    expect(limited.line.status).toBe('rate_limited');
    const until = new Date(reset * 1000).toISOString().slice(0, 19).replace('T', ' ');
    expect(limited.line.text).toContain("recovery is waiting out GitHub's rate limit");
    expect(limited.line.text).toMatch(
      new RegExp(
        `acme/shop hook 11: rate limited by GitHub until ${until} UTC; last read completely \\d+s ago`,
      ),
    );
    expect(await wcagViolations(limited.page)).toEqual([]);
    await limited.page.context().close();
  });
});
