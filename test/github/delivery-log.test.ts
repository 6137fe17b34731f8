import { describe, expect, it } from 'vitest';
import { deliveryLog, failed } from '../../server/github/delivery-log.ts';
import { APP_HOOK, parseHookList } from '../../server/github/hooks.ts';
import { createGithubClients } from '../../server/github/octokit.ts';
import { githubAppCredentials } from '../helpers/github-app-api.ts';
import { GITHUB_API_URL } from '../helpers/msw-github.ts';
import { useFakeGithub } from './msw-server.ts';

const token = () => createGithubClients({ token: 'ghp_msw_token' }, GITHUB_API_URL);
const app = () => {
  const credentials = githubAppCredentials();
  return createGithubClients(
    { appId: credentials.GITHUB_APP_ID, privateKey: credentials.GITHUB_APP_PRIVATE_KEY },
    GITHUB_API_URL,
  );
};
const hookOf = (list: string) => {
  const [hook] = parseHookList(list) as Exclude<ReturnType<typeof parseHookList>, string>;
  if (!hook) throw new Error(`no hook in ${list}`);
  return hook;
};

describe("a hook's delivery log through GitHub's REST API (msw, in-process)", () => {
  const github = useFakeGithub();

  it('reads every page newest first, following the Link header’s cursor under the GHES prefix', async () => {
    const hook = github.addHook('/repos/acme/shop/hooks/12', 12);
    for (let i = 0; i < 250; i++) await hook.deliver('workflow_run', { action: 'completed', n: i });
    const pages = [];
    for await (const page of deliveryLog(hookOf('repo:acme/shop:12'), token()).pages()) pages.push(page);

    expect(pages.map((page) => page.deliveries.length)).toEqual([100, 100, 50]);
    const ids = pages.flatMap((page) => page.deliveries.map((delivery) => delivery.id));
    expect(ids).toEqual(hook.newestFirst().map((attempt) => attempt.id));
    const listed = github.requests.filter((request) => request.path.endsWith('/deliveries'));
    expect(listed.map((request) => request.search)).toEqual([
      '?per_page=100',
      `?per_page=100&cursor=v1_${ids[100]}`,
      `?per_page=100&cursor=v1_${ids[200]}`,
    ]);
    expect(listed.every((request) => request.authorization === 'token ghp_msw_token')).toBe(true);
    expect(pages[0]?.headers['x-ratelimit-remaining']).toMatch(/^\d+$/);
    expect(pages[0]?.deliveries[0]).toMatchObject({
      event: 'workflow_run',
      action: 'completed',
      status: 'failed to connect',
      statusCode: 0,
      redelivery: false,
    });
    expect(failed(pages[0]!.deliveries[0]!)).toBe(true);
  });

  it('fetches one delivery with the headers and payload GitHub sent', async () => {
    const hook = github.addHook('/orgs/acme/hooks/7', 7);
    const sent = await hook.deliver('deployment_status', {
      action: 'created',
      deployment_status: { state: 'success' },
    });
    const { delivery, headers } = await deliveryLog(hookOf('org:acme:7'), token()).get(sent.id);
    expect(delivery).toMatchObject({
      id: sent.id,
      guid: sent.guid,
      event: 'deployment_status',
      payload: { action: 'created', deployment_status: { state: 'success' } },
    });
    expect(delivery.headers['X-GitHub-Delivery']).toBe(sent.guid);
    expect(delivery.deliveredAt.toISOString()).toBe(sent.delivered_at.replace('Z', '.000Z'));
    expect(headers['x-ratelimit-limit']).toBe('5000');
    expect(github.requests.at(-1)?.path).toBe(`/orgs/acme/hooks/7/deliveries/${sent.id}`);
  });

  it("reads the App's own hook with the App's JWT, and a repository's hook with the installation's token", async () => {
    const clients = app();
    const own = github.addHook('/app/hook');
    await own.deliver('deployment', { action: 'created' });
    github.addHook('/repos/acme/shop/hooks/12', 12);
    for await (const _ of deliveryLog(APP_HOOK, clients).pages());
    for await (const _ of deliveryLog(hookOf('repo:acme/shop:12'), clients).pages());

    const jwt = github.requests.find((request) => request.path === '/app/hook/deliveries')?.authorization;
    expect(jwt).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i);
    const installation = github.requests.find(
      (request) => request.path === '/repos/acme/shop/hooks/12/deliveries',
    );
    expect(installation?.authorization).toBe('token ghs_installation_77');
    expect(github.requests.map((request) => `${request.method} ${request.path}`)).toContain(
      'POST /app/installations/77/access_tokens',
    );
  });

  it("says what is missing when the App's hook is read with a token", async () => {
    const pages = deliveryLog(APP_HOOK, token()).pages()[Symbol.asyncIterator]();
    await expect(pages.next()).rejects.toThrow(/GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY/);
  });
});
