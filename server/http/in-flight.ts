/**
 * Counts requests being handled, so shutdown can wait for them before it closes the database
 * (a client that hung up does not end its request's work).
 */
export function trackInFlight<Rest extends unknown[]>(
  fetch: (request: Request, ...rest: Rest) => Response | Promise<Response>,
) {
  let active = 0;
  let drained: (() => void) | null = null;
  return {
    fetch: async (request: Request, ...rest: Rest) => {
      active++;
      try {
        return await fetch(request, ...rest);
      } finally {
        active--;
        if (active === 0) drained?.();
      }
    },
    busy: () => active > 0,
    /** Resolves when no request is being handled. */
    idle(): Promise<void> {
      if (active === 0) return Promise.resolve();
      return new Promise((resolve) => {
        drained = resolve;
      });
    },
  };
}
