import type { Logger } from '../log.ts';
import { Backoff, interruptibleSleep } from './backoff.ts';
import type { SeenObject, WorkloadObject } from './correlation.ts';
import { describe, statusCode } from './request-errors.ts';
import { OBJECT_EVENTS, type WatchEvent, type WatchTransport } from './watch-stream.ts';

/** `absent`: an optional kind (a custom resource) this cluster does not serve; looked for again at each resync. */
export type StreamStatus = 'starting' | 'listing' | 'watching' | 'reconnecting' | 'absent' | 'stopped';

export interface StreamHealth {
  kind: string;
  scope: string;
  status: StreamStatus;
  resourceVersion: string;
  lastEventAt: Date | null;
  lastListAt: Date | null;
  lastError: string | null;
}

/** Why a watch connection ended; each is counted in the metrics. */
export type WatchEnd = 'closed' | 'expired' | 'stalled' | 'resync' | 'error';

export interface ListWatchOptions {
  /** The kind of object watched (for logs and health). */
  kind: string;
  /** A custom resource whose CRD may not be installed: a 404 on list means "absent", not a failure. */
  optional: boolean;
  /** A namespace, or '' for all namespaces. */
  scope: string;
  path: string;
  /** Reads the whole list; gives up on its own when the API server stops answering, and on `signal`. */
  list(signal: AbortSignal): Promise<{ items: WorkloadObject[]; resourceVersion: string }>;
  watch: WatchTransport;
  onObject(seen: SeenObject, event: 'listed' | 'added' | 'modified' | 'deleted'): void;
  onEvent?(type: string): void;
  onWatchEnd?(end: WatchEnd): void;
  /** A watch that delivers nothing (not even a bookmark) for this long is presumed dead (a list's page too). */
  idleTimeoutMs: number;
  /** Relist everything this often, in case an event was ever lost. */
  resyncMs: number;
  logger: Logger;
}

type Outcome = Exclude<WatchEnd, 'error'>;

/**
 * List, then watch from the list's resourceVersion, forever: a dropped connection resumes
 * from the last resourceVersion seen (after a backoff unless it was healthy), `410 Gone`
 * relists, a silent watch is abandoned after `idleTimeoutMs`, and a periodic resync relists.
 * Unlike client-node's ListWatch, no error ever stops it (kubernetes-client/javascript#1933).
 */
export class ResilientListWatch {
  private resourceVersion = '';
  private status: StreamStatus = 'starting';
  // A number: set on every watch event, a Date only when health asks.
  private lastEventAt: number | null = null;
  private lastListAt: Date | null = null;
  private lastError: string | null = null;
  private stopped = false;
  private abortCurrent: () => void = () => {};
  private wakeSleep: () => void = () => {};
  private running: Promise<void> | null = null;
  private readonly backoff = new Backoff(250, 30_000);
  // 410s since a watch last delivered an event: the first relists at once, the next ones wait.
  private expiredInARow = 0;

  constructor(private readonly options: ListWatchOptions) {}

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abortCurrent();
    this.wakeSleep();
    await this.running;
    this.status = 'stopped';
  }

  health(): StreamHealth {
    return {
      kind: this.options.kind,
      scope: this.options.scope || '*',
      status: this.status,
      resourceVersion: this.resourceVersion,
      lastEventAt: this.lastEventAt === null ? null : new Date(this.lastEventAt),
      lastListAt: this.lastListAt,
      lastError: this.lastError,
    };
  }

  private async run(): Promise<void> {
    const { logger, kind, scope } = this.options;
    while (!this.stopped) {
      try {
        if (!this.resourceVersion || this.resyncDue()) {
          if (!(await this.relistUnlessAbsent())) continue;
        }
        if (this.stopped) break;
        const outcome = await this.watchOnce();
        this.options.onWatchEnd?.(outcome);
        if (outcome === 'expired' || outcome === 'resync') {
          this.resourceVersion = '';
          if (outcome === 'expired') {
            logger.info({ kind, scope }, 'kubernetes watch expired (410 Gone): relisting');
            // An API server (or a proxy before it) that answers 410 again right after a list
            // would otherwise be relisted from in a hot loop; client-go backs off here too.
            if (this.expiredInARow++ > 0) await this.sleep(this.backoff.next());
          }
          continue;
        }
        if (outcome === 'stalled')
          logger.warn({ kind, scope }, 'kubernetes watch silent too long: reconnecting');
        this.status = 'reconnecting';
        await this.sleep(this.backoff.next());
      } catch (error) {
        if (this.stopped) break;
        if (this.options.optional && statusCode(error) === 404 && this.resourceVersion) {
          // The CRD went away while watched: relist now, which finds the kind absent.
          this.resourceVersion = '';
          continue;
        }
        this.options.onWatchEnd?.('error');
        this.lastError = describe(error);
        this.status = 'reconnecting';
        const delay = this.backoff.next();
        logger.warn({ kind, scope, err: this.lastError, retry_in_ms: delay }, 'kubernetes watch failed');
        await this.sleep(delay);
      }
    }
  }

  private resyncDue(): boolean {
    return this.lastListAt !== null && Date.now() - this.lastListAt.getTime() >= this.options.resyncMs;
  }

  /**
   * Relists; false when an optional kind is not served (its CRD not installed): then the stream
   * is `absent` and looks again after the resync interval. Installing the CRD later is noticed.
   */
  private async relistUnlessAbsent(): Promise<boolean> {
    try {
      await this.relist();
      return true;
    } catch (error) {
      const code = statusCode(error);
      // An optional kind's list refused by RBAC (403, which the API server answers before it
      // looks for the resource) is the same to us as one not served: not watched, no fault.
      if (!this.options.optional || (code !== 404 && code !== 403)) throw error;
      if (this.status !== 'absent') {
        this.options.logger.info(
          { kind: this.options.kind, scope: this.options.scope || '*', status: code },
          code === 404
            ? 'kubernetes kind not served by this cluster (no CRD): not watched; looking again at each resync'
            : `kubernetes kind ${this.options.kind} not readable (403): not watched; looking again at each resync. To watch it, grant this server's service account list and watch on it; else leave it out of DEPLOYLEDGER_K8S_KINDS`,
        );
      }
      this.status = 'absent';
      this.lastError = null;
      this.resourceVersion = '';
      await this.sleep(this.options.resyncMs);
      return false;
    }
  }

  private async relist(): Promise<void> {
    this.status = 'listing';
    const listing = new AbortController();
    this.abortCurrent = () => listing.abort();
    const list = await this.options.list(listing.signal).finally(() => {
      this.abortCurrent = () => {};
    });
    if (this.stopped) return;
    for (const item of list.items) {
      const { namespace = '', name = '' } = item.metadata ?? {};
      this.options.onObject({ namespace, name, object: () => item }, 'listed');
    }
    this.resourceVersion = list.resourceVersion;
    this.lastListAt = new Date();
    this.lastEventAt = this.lastListAt.getTime();
    this.lastError = null;
  }

  /** One watch connection, until it ends; resolves how it ended, rejects on an error. */
  private watchOnce(): Promise<Outcome> {
    const { watch, path, idleTimeoutMs, resyncMs } = this.options;
    return new Promise<Outcome>((resolve, reject) => {
      let settled = false;
      let controller: AbortController | undefined;
      let lastActivity = Date.now();
      const finish = (outcome: Outcome | Error) => {
        if (settled) return;
        settled = true;
        clearInterval(liveness);
        controller?.abort();
        this.abortCurrent = () => {};
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      this.abortCurrent = () => finish('closed');
      const liveness = setInterval(
        () => {
          if (Date.now() - lastActivity > idleTimeoutMs) finish('stalled');
          else if (this.resyncDue()) finish('resync');
        },
        Math.min(1_000, idleTimeoutMs / 4),
      );

      const onEvent = (event: WatchEvent) => {
        if (settled) return; // a late event from a connection we gave up on
        const { type } = event;
        lastActivity = Date.now();
        this.lastEventAt = lastActivity;
        this.options.onEvent?.(type);
        if (type === 'ERROR') {
          const status = (event.object() ?? {}) as { code?: number; message?: string };
          finish(
            status.code === 410 ? 'expired' : new Error(`watch error ${status.code}: ${status.message}`),
          );
          return;
        }
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
          const { namespace = '', name = '' } = event;
          const object = () => event.object() as WorkloadObject;
          this.options.onObject({ namespace, name, object }, OBJECT_EVENTS[type]);
        }
        if (event.resourceVersion) this.resourceVersion = event.resourceVersion;
        // A connection that delivers is healthy: the next drop reconnects at once.
        this.backoff.reset();
        this.expiredInARow = 0;
      };
      const onDone = (error: unknown) => {
        if (!error) return finish('closed');
        if (statusCode(error) === 410) return finish('expired');
        finish(error instanceof Error ? error : new Error(describe(error)));
      };

      this.status = 'watching';
      const params = {
        allowWatchBookmarks: true,
        resourceVersion: this.resourceVersion,
        // The API server ends the watch after this; client-go picks 5 to 10 minutes at random.
        timeoutSeconds: Math.round(Math.min(resyncMs / 1000, 300 * (1 + Math.random()))),
      };
      watch.watch(path, params, onEvent, onDone).then(
        (c) => {
          controller = c;
          if (settled) c.abort();
        },
        (error) => finish(error instanceof Error ? error : new Error(describe(error))),
      );
    });
  }

  private async sleep(ms: number): Promise<void> {
    if (this.stopped) return;
    const sleep = interruptibleSleep(ms);
    this.wakeSleep = sleep.wake;
    await sleep.done;
  }
}
