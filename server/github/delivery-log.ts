import type { HookRef } from './hooks.ts';
import type { GithubClients, GithubOctokit } from './octokit.ts';

/** One entry of a hook's delivery log (GitHub's `hook-delivery-item`). */
export interface LoggedDelivery {
  /** GitHub's id of this delivery attempt (increasing); a redelivery gets a new one. */
  id: number;
  /** Our `X-GitHub-Delivery`: shared by a delivery and its redeliveries. */
  guid: string;
  deliveredAt: Date;
  redelivery: boolean;
  status: string;
  statusCode: number;
  event: string;
  action: string | null;
}

/** One delivery with what GitHub sent (`GET …/deliveries/{id}`). */
export interface FullDelivery extends LoggedDelivery {
  headers: Record<string, unknown>;
  payload: unknown;
}

/** A page of the log, newest first, and the rate-limit headers of its answer. */
export interface LogPage {
  deliveries: LoggedDelivery[];
  headers: Record<string, unknown>;
}

/**
 * A hook's delivery log through GitHub's REST API. Missed deliveries are fetched, not redelivered
 * (`POST …/attempts`): a redelivery needs our ingress to work, which may be what failed.
 */
export interface DeliveryLog {
  hook: HookRef;
  /** The log newest first, page by page, following the `Link` header's `cursor=`. */
  pages(): AsyncIterable<LogPage>;
  get(id: number): Promise<{ delivery: FullDelivery; headers: Record<string, unknown> }>;
}

const PER_PAGE = 100;

type Item = {
  id: number | bigint;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  status: string;
  status_code: number;
  event: string;
  action: string | null;
};

/** Where the hook's log lives, and with which client (App JWT, installation, or token). */
async function locate(
  hook: HookRef,
  clients: GithubClients,
): Promise<{ octokit: GithubOctokit; base: string }> {
  if (hook.kind === 'app') {
    const app = clients.app();
    if (!app)
      throw new Error('the App hook needs GitHub App credentials (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)');
    return { octokit: app, base: '/app/hook' };
  }
  if (hook.kind === 'repo') {
    return {
      octokit: await clients.forRepository(hook.repository),
      base: `/repos/${hook.repository.split('/').map(encodeURIComponent).join('/')}/hooks/${hook.hookId}`,
    };
  }
  return {
    octokit: await clients.forOrganization(hook.org),
    base: `/orgs/${encodeURIComponent(hook.org)}/hooks/${hook.hookId}`,
  };
}

export function deliveryLog(hook: HookRef, clients: GithubClients): DeliveryLog {
  return {
    hook,
    async *pages() {
      const { octokit, base } = await locate(hook, clients);
      const pages = octokit.paginate.iterator<Item>(`GET ${base}/deliveries`, { per_page: PER_PAGE });
      for await (const page of pages) {
        yield { deliveries: page.data.map(toLogged), headers: page.headers as Record<string, unknown> };
      }
    },
    async get(id) {
      const { octokit, base } = await locate(hook, clients);
      const { data, headers } = await octokit.request(`GET ${base}/deliveries/{delivery_id}`, {
        delivery_id: id,
      });
      const full = data as Item & {
        request?: { headers?: Record<string, unknown> | null; payload?: unknown };
      };
      return {
        delivery: {
          ...toLogged(full),
          headers: full.request?.headers ?? {},
          payload: full.request?.payload ?? null,
        },
        headers: headers as Record<string, unknown>,
      };
    },
  };
}

function toLogged(item: Item): LoggedDelivery {
  return {
    id: Number(item.id),
    guid: item.guid,
    deliveredAt: new Date(item.delivered_at),
    redelivery: item.redelivery,
    status: item.status,
    statusCode: item.status_code,
    event: item.event,
    action: item.action,
  };
}

/** GitHub records a delivery as failed when our answer was not 2xx (or there was none). */
export function failed(delivery: LoggedDelivery): boolean {
  return !(delivery.statusCode >= 200 && delivery.statusCode < 300);
}
