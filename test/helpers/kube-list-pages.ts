/** What a page needs of an object: its names. */
interface Named {
  metadata?: { namespace?: string; name?: string };
}

interface Page<T> {
  items: T[];
  /** The snapshot's: every page of one list has the first page's. */
  resourceVersion: number;
  continue?: string;
  remainingItemCount?: number;
}

/**
 * How kube-apiserver answers a list with `limit` (API chunking): at most `limit` objects, in key
 * order, and `metadata.continue` (with `remainingItemCount`) to read the rest from the same
 * snapshot. A continue token whose snapshot was compacted meanwhile is answered 410 Expired
 * (null here).
 */
export class ListPages<T extends Named> {
  // Each token's snapshot: what is left of the list it continues.
  private readonly snapshots = new Map<string, { items: T[]; resourceVersion: number }>();
  private issued = 0;

  /**
   * The page a list request asks for; `current`: the objects in its scope now (read only for a
   * new list: a continued one reads its snapshot).
   */
  answer(current: () => T[], resourceVersion: number, query: URLSearchParams): Page<T> | null {
    const token = query.get('continue');
    const snapshot = token
      ? this.snapshots.get(token)
      : { items: current().toSorted((a, b) => keyOf(a).localeCompare(keyOf(b))), resourceVersion };
    if (!snapshot) return null;
    if (token) this.snapshots.delete(token);
    const { items } = snapshot;
    const limit = Number(query.get('limit') ?? 0);
    if (!(limit > 0) || items.length <= limit) return snapshot;
    const start = `${keyOf(items[limit - 1] as T)}\u0000`;
    const next = Buffer.from(
      JSON.stringify({ v: 'meta.k8s.io/v1', rv: snapshot.resourceVersion, start, n: ++this.issued }),
    ).toString('base64');
    this.snapshots.set(next, { items: items.slice(limit), resourceVersion: snapshot.resourceVersion });
    return {
      items: items.slice(0, limit),
      resourceVersion: snapshot.resourceVersion,
      continue: next,
      remainingItemCount: items.length - limit,
    };
  }

  /** etcd compacted the snapshots: every continue token given out so far expires. */
  compact(): void {
    this.snapshots.clear();
  }
}

const keyOf = (object: Named) => `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
