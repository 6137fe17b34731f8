import pino from 'pino';

export type Logger = pino.Logger;

// stdout is written asynchronously: when nobody reads it (a closed or stalled pipe) the lines
// wait in memory instead of blocking the process in a retry loop, where no signal handler and
// no shutdown timer could run. At exit, flushLogs() tries for a moment, then gives up.
let giveUpAt = Number.POSITIVE_INFINITY;
const destination = pino.destination({ dest: 1, sync: false, retryEAGAIN: () => Date.now() < giveUpAt });
destination.on('error', () => {}); // EPIPE: the reader is gone; logging must not end the process

// Lines go out together, at most FLUSH_MS after the first of them (or once 64 KiB wait): each
// write is a system call and a thread-pool round trip, which per event-loop turn was still
// 4–6 % of a create's CPU under load (docs/benchmarks.md).
const FLUSH_MS = 5;
const FLUSH_BYTES = 64 * 1024;
let pending = '';
let timer: NodeJS.Timeout | undefined;
const writePending = () => {
  clearTimeout(timer);
  timer = undefined;
  const lines = pending;
  pending = '';
  try {
    if (lines) destination.write(lines);
  } catch {
    // the destination is gone (a closed stdout): logging must not end the process
  }
};
const batched = {
  write(line: string) {
    pending += line;
    if (pending.length >= FLUSH_BYTES) writePending();
    else timer ??= setTimeout(writePending, FLUSH_MS);
  },
};

/** Structured JSON logs, one line per event, on stdout. */
export function createLogger(level: string = 'info'): Logger {
  return pino(
    {
      level,
      base: { service: 'deployledger' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    batched,
  );
}

/** Writes out what is buffered before the process exits; gives up after `ms` on a stalled pipe. */
export function flushLogs(ms = 500): void {
  giveUpAt = Date.now() + ms;
  try {
    writePending();
    destination.flushSync();
  } catch {
    // stdout is closed or stalled: exiting matters more than these lines
  }
}
