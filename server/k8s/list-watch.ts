import type { V1Deployment, Watch } from '@kubernetes/client-node';
import type { Logger } from '../log.ts';
import { Backoff, interruptibleSleep } from './backoff.ts';

export type StreamStatus = 'starting' | 'listing' | 'watching' | 'reconnecting' | 'stopped';

export interface StreamHealth {
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
  /** A namespace, or '' for all namespaces. */
  scope: string;
  path: string;
  list(): Promise<{ items: V1Deployment[]; resourceVersion: string }>;
  watch: Watch;
  onObject(deployment: V1Deployment, event: 'listed' | 'added' | 'modified' | 'deleted'): void;
  onEvent?(type: string): void;
  onWatchEnd?(end: WatchEnd): void;
  /** A watch that delivers nothing (not even a bookmark) for this long is presumed dead. */
  idleTimeoutMs: number;
  /** Relist everything this often, in case an event was ever lost. */
  resyncMs: number;
  logger: Logger;
}

type Outcome = Exclude<WatchEnd, 'error'>;

const LIST_TIMEOUT_MS = 60_000;

/**
 * List, then watch from the list's resourceVersion, forever: a dropped connection resumes
 * from the last resourceVersion seen (after a backoff unless it was healthy), `410 Gone`
 * relists, a silent watch is abandoned after `idleTimeoutMs`, and a periodic resync relists.
 * Unlike client-node's ListWatch, no error ever stops it (kubernetes-client/javascript#1933).
 */
export class ResilientListWatch {
  private resourceVersion = '';
  private status: StreamStatus = 'starting';
  private lastEventAt: Date | null = null;
  private lastListAt: Date | null = null;
  private lastError: string | null = null;
  private stopped = false;
  private abortCurrent: () => void = () => {};
  private wakeSleep: () => void = () => {};
  private running: Promise<void> | null = null;
  private readonly backoff = new Backoff(250, 30_000);

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
      scope: this.options.scope || '*',
      status: this.status,
      resourceVersion: this.resourceVersion,
      lastEventAt: this.lastEventAt,
      lastListAt: this.lastListAt,
      lastError: this.lastError,
    };
  }

  private async run(): Promise<void> {
    const { logger, scope } = this.options;
    while (!this.stopped) {
      try {
        if (!this.resourceVersion || this.resyncDue()) await this.relist();
        if (this.stopped) break;
        const outcome = await this.watchOnce();
        this.options.onWatchEnd?.(outcome);
        if (outcome === 'expired' || outcome === 'resync') {
          if (outcome === 'expired') logger.info({ scope }, 'kubernetes watch expired (410 Gone): relisting');
          this.resourceVersion = '';
          continue;
        }
        if (outcome === 'stalled') logger.warn({ scope }, 'kubernetes watch silent too long: reconnecting');
        this.status = 'reconnecting';
        await this.sleep(this.backoff.next());
      } catch (error) {
        if (this.stopped) break;
        this.options.onWatchEnd?.('error');
        this.lastError = describe(error);
        this.status = 'reconnecting';
        const delay = this.backoff.next();
        logger.warn({ scope, err: this.lastError, retry_in_ms: delay }, 'kubernetes watch failed');
        await this.sleep(delay);
      }
    }
  }

  private resyncDue(): boolean {
    return this.lastListAt !== null && Date.now() - this.lastListAt.getTime() >= this.options.resyncMs;
  }

  private async relist(): Promise<void> {
    this.status = 'listing';
    const list = await withTimeout(this.options.list(), LIST_TIMEOUT_MS, 'list');
    if (this.stopped) return;
    for (const item of list.items) this.options.onObject(item, 'listed');
    this.resourceVersion = list.resourceVersion;
    this.lastListAt = new Date();
    this.lastEventAt = this.lastListAt;
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

      const onEvent = (type: string, object: unknown) => {
        if (settled) return; // a late event from a connection we gave up on
        lastActivity = Date.now();
        this.lastEventAt = new Date(lastActivity);
        this.options.onEvent?.(type);
        if (type === 'ERROR') {
          const status = object as { code?: number; message?: string };
          finish(
            status.code === 410 ? 'expired' : new Error(`watch error ${status.code}: ${status.message}`),
          );
          return;
        }
        const deployment = object as V1Deployment;
        const version = deployment.metadata?.resourceVersion;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
          this.options.onObject(
            deployment,
            type === 'ADDED' ? 'added' : type === 'MODIFIED' ? 'modified' : 'deleted',
          );
        }
        if (version) this.resourceVersion = version;
        // A connection that delivers is healthy: the next drop reconnects at once.
        this.backoff.reset();
      };
      const onDone = (error: unknown) => {
        if (!error) return finish('closed');
        if ((error as { statusCode?: number }).statusCode === 410) return finish('expired');
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

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(error: unknown): string {
  if (error && typeof error === 'object') {
    const { code, statusCode, message } = error as {
      code?: unknown;
      statusCode?: unknown;
      message?: unknown;
    };
    const status = statusCode ?? (typeof code === 'number' ? code : undefined);
    const text = typeof message === 'string' ? message.split('\n')[0] : String(error);
    return status ? `${status} ${text}` : (text ?? String(error));
  }
  return String(error);
}
