import type { WorkloadObject } from './correlation.ts';
import { statusCode } from './request-errors.ts';

/** A list as the API server answers it (client-node's list…CustomObject). */
export interface ObjectList {
  items?: WorkloadObject[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/** Reads one page; `limit` and `_continue` unset: the whole list in one answer. */
export type PageReader = (
  page: { limit?: number; _continue?: string },
  signal: AbortSignal,
) => Promise<ObjectList>;

/** What kubectl and client-go's informers ask for a page. */
const PAGE_SIZE = 500;

/**
 * A whole list, read in pages of 500 as client-go's pager does: a cluster of many thousand
 * workloads is not one answer of tens of megabytes that must arrive within one timeout. Each page
 * is abandoned (its request aborted, the connection closed) when it has not arrived within
 * `timeoutMs`, or when `signal` aborts. All pages are of one snapshot, whose resourceVersion the
 * watch resumes from. A continue token the API server no longer honours (410 Expired: etcd
 * compacted the snapshot while we paged) restarts the list in one request, as the pager does.
 */
export async function listInPages(
  read: PageReader,
  options: { timeoutMs: number; signal: AbortSignal; pageSize?: number },
): Promise<{ items: WorkloadObject[]; resourceVersion: string }> {
  const readPage = (page: { limit?: number; _continue?: string }) =>
    read(page, AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)])).catch(
      (error: unknown) => {
        if (options.signal.aborted || !isTimeout(error)) throw error;
        throw new Error(`list page not answered within ${options.timeoutMs} ms: abandoned`);
      },
    );
  const limit = options.pageSize ?? PAGE_SIZE;
  const items: WorkloadObject[] = [];
  let resourceVersion = '';
  let token: string | undefined;
  do {
    let page: ObjectList;
    try {
      page = await readPage({ limit, _continue: token });
    } catch (error) {
      if (token === undefined || statusCode(error) !== 410) throw error;
      const whole = await readPage({});
      return { items: whole.items ?? [], resourceVersion: whole.metadata?.resourceVersion ?? '' };
    }
    for (const item of page.items ?? []) items.push(item);
    if (token === undefined) resourceVersion = page.metadata?.resourceVersion ?? '';
    token = page.metadata?.continue || undefined;
  } while (token);
  return { items, resourceVersion };
}

function isTimeout(error: unknown): boolean {
  const { name, type } = (error ?? {}) as { name?: unknown; type?: unknown };
  return name === 'TimeoutError' || name === 'AbortError' || type === 'aborted';
}
