import { performance } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { trimMalloc } from './malloc-trim.ts';

type CollectGarbage = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => unknown;
type Utilization = ReturnType<typeof performance.eventLoopUtilization>;

/** Share of a second the event loop must be busy to count as load, and idle to count as quiet. */
const BUSY = 0.3;
const QUIET = 0.1;
/**
 * How long the process stays quiet before it collects. A forced collection costs the next burst:
 * status reports that followed one took 1.5–2× the server's CPU for at least 10 s (plain major
 * and memory-reducing collections alike; 2026-12-05, Node 24), so a pause of a few seconds
 * between waves keeps the warm heap, and the memory goes back once the server has been quiet
 * this long.
 */
const HOLD_MS = 10_000;

/**
 * Once the process has been quiet for HOLD_MS after a busy spell (requests, or the workers folding
 * what they stored), collects the JS heap once and shrinks it (the `last-resort` flavor: V8's
 * memory-reducing collection, which also gives back the young generation and pooled pages; a
 * plain major collection left the heap at 170–260 MiB total for 33–97 MiB used without
 * `--optimize-for-size`), so the server gives back what the load grew: V8's own
 * memory reducer waits about 8 s after a collection and does not always run, and a server that
 * had just served a burst stayed 15–30 MiB above its idle size (docs/operations.md#memory).
 * Quiet and busy are read from the event loop's utilization each `intervalMs`, so the check costs
 * nothing per request. `release` runs just before the collection: it drops what only speeds up
 * the busy path (caches a burst filled), so the collection can give that back too; after it,
 * malloc's free memory is given back where Node can reach malloc_trim (malloc-trim.ts). Needs
 * `--expose-gc` (bin/deployledger.js starts `serve` with it); without it this does nothing.
 */
export function startHeapTrimmer(
  options: { intervalMs?: number; holdMs?: number; release?: () => void } = {},
) {
  const { intervalMs = 1000, holdMs = HOLD_MS, release = () => {} } = options;
  const gc = exposedGc();
  if (!gc) return { stop() {} };
  let last: Utilization = performance.eventLoopUtilization();
  let busy = false;
  let quietFor = 0;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    quietFor = utilization < QUIET ? quietFor + intervalMs : 0;
    if (utilization >= BUSY) busy = true;
    else if (busy && quietFor >= holdMs) {
      busy = false;
      release();
      gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      trimMalloc();
    }
  }, intervalMs).unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * `gc` as `--expose-gc` installs it: on the global object when V8 had the flag at start (Node
 * 22.15+, through the bin's re-exec), else in a new context (Node 20 sets it at run time, after
 * the main context was made).
 */
function exposedGc(): CollectGarbage | null {
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === 'function') return global as CollectGarbage;
  try {
    const inContext = runInNewContext('typeof gc === "function" ? gc : null');
    return typeof inContext === 'function' ? (inContext as CollectGarbage) : null;
  } catch {
    return null;
  }
}
