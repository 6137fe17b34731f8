import pino from 'pino';

export type Logger = pino.Logger;

// stdout is written asynchronously: when nobody reads it (a closed or stalled pipe) the lines
// wait in memory instead of blocking the process in a retry loop, where no signal handler and
// no shutdown timer could run. At exit, flushLogs() tries for a moment, then gives up.
let giveUpAt = Number.POSITIVE_INFINITY;
const destination = pino.destination({ dest: 1, sync: false, retryEAGAIN: () => Date.now() < giveUpAt });
destination.on('error', () => {}); // EPIPE: the reader is gone; logging must not end the process

// The lines of one turn of the event loop go out in one write: under load a turn answers many
// requests, and a system call per line was a measurable share of a request's CPU.
let pending = '';
const writePending = () => {
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
    if (pending === '') setImmediate(writePending);
    pending += line;
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
