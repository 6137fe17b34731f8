/** A deployment changed: what a live page needs to know to refresh. */
export interface Change {
  id: string;
  repository: string;
  environment: string;
}

/**
 * Tells open dashboard pages (Server-Sent Events) that a signal landed in this process. Pages
 * also refresh on a slow timer, which covers changes made by other replicas.
 */
export class LiveHub {
  private readonly listeners = new Set<(change: Change) => void>();
  private closeAll: () => void = () => {};
  /** Resolves when the server stops, so open streams end and the server can close. */
  readonly closed = new Promise<void>((resolve) => {
    this.closeAll = resolve;
  });

  publish(change: Change): void {
    for (const listener of this.listeners) listener(change);
  }

  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closeAll();
  }
}
