import { Debug } from '@prisma/client/runtime/client';
import { clearLogs } from '@prisma/debug';

// Prisma's debug module keeps the arguments of its last 100 debug calls whether or not debugging
// is on (for its error reports), and its query paths pass it every query with its parameters:
// after a burst of batched writes that held 5–8 MiB of JSON for the process's life. There are
// two copies: the driver adapter's (@prisma/debug, the same version as ours, so one module in
// node_modules), which can be cleared, and the one inside Prisma's client runtime, which exports
// no way to clear it but to push its entries out with small ones of our own.
const HISTORY = 100;
const filler = Debug('deployledger:released');

/** Forgets the query arguments Prisma's debug modules remember. */
export function releasePrismaDebugHistory(): void {
  clearLogs();
  // Someone debugging with DEBUG=* would see the filler calls: leave that copy alone then.
  if (Debug.enabled(filler.namespace)) return;
  for (let i = 0; i < HISTORY; i++) filler(i);
}
