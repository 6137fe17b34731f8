import { fstatSync, writeSync } from 'node:fs';
import pino from 'pino';

export type Logger = pino.Logger;

interface Sink {
  write(text: string): void;
  /** Writes out what waits, giving up at `giveUpAt` (ms since the epoch) on a stalled reader. */
  flushSync(giveUpAt: number): void;
}

/**
 * stdout must never block the process: when nobody reads it (a closed or stalled pipe) the lines
 * wait in memory instead of stopping it in a retry loop, where no signal handler and no shutdown
 * timer could run. A pipe or socket (a container's stdout) is written from this thread, each
 * write one non-blocking system call: Node puts such a stdout into non-blocking mode when it
 * opens it (`process.stdout.fd` below), so a full pipe answers EAGAIN and the rest is tried again
 * shortly. A file or terminal goes through sonic-boom's thread-pool writes, as before: there a
 * write hands over to another thread and back, which for a pipe under load was 4–6 % of a
 * create's CPU (docs/benchmarks-history.md).
 */
function openSink(): Sink {
  let kind: 'direct' | 'threaded' = 'threaded';
  try {
    const stat = fstatSync(1);
    if (stat.isFIFO() || stat.isSocket()) kind = 'direct';
  } catch {
    // no stdout at all: sonic-boom's errors are ignored below
  }
  return kind === 'direct' ? directSink(process.stdout.fd) : threadedSink();
}

function directSink(fd: number): Sink {
  // Text as pino made it (fs.writeSync encodes it on the way); bytes only for a partial write's rest.
  const waiting: Array<string | Buffer> = [];
  let retry: NodeJS.Timeout | undefined;
  /** Writes what waits until done or EAGAIN; true when nothing waits. */
  const drain = (): boolean => {
    while (waiting.length > 0) {
      const head = waiting[0] as string | Buffer;
      let written: number;
      try {
        written = typeof head === 'string' ? writeSync(fd, head) : writeSync(fd, head);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return false;
        waiting.length = 0; // EPIPE: the reader is gone; logging must not end the process
        return true;
      }
      const bytes = typeof head === 'string' ? Buffer.byteLength(head) : head.length;
      if (written < bytes) waiting[0] = Buffer.from(head).subarray(written);
      else waiting.shift();
    }
    return true;
  };
  const drainLater = () => {
    retry = undefined;
    if (!drain()) retry = setTimeout(drainLater, 10).unref();
  };
  return {
    write(text) {
      waiting.push(text);
      if (waiting.length === 1 && !retry) drainLater();
    },
    flushSync(giveUpAt) {
      while (!drain() && Date.now() < giveUpAt) {
        // the reader is slow: try again until it takes the rest or the time is up
      }
    },
  };
}

function threadedSink(): Sink {
  let giveUp = Number.POSITIVE_INFINITY;
  const destination = pino.destination({ dest: 1, sync: false, retryEAGAIN: () => Date.now() < giveUp });
  destination.on('error', () => {}); // EPIPE: the reader is gone; logging must not end the process
  return {
    write(text) {
      try {
        destination.write(text);
      } catch {
        // the destination is gone (a closed stdout): logging must not end the process
      }
    },
    flushSync(giveUpAt) {
      giveUp = giveUpAt;
      try {
        destination.flushSync();
      } catch {
        // stdout is closed or stalled: exiting matters more than these lines
      }
    },
  };
}

const sink = openSink();

// A library's console line to a stdout or stderr whose reader is gone (EPIPE) is an 'error' event
// on that stream; unheard, it would end the process mid-request. Losing the line is the lesser harm.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

// Lines go out together, at most FLUSH_MS after the first of them (or once 64 KiB wait): under
// load one write then carries the lines of many requests instead of one event-loop turn's.
const FLUSH_MS = 20;
const FLUSH_BYTES = 64 * 1024;
let pending = '';
let timer: NodeJS.Timeout | undefined;
const writePending = () => {
  clearTimeout(timer);
  timer = undefined;
  const lines = pending;
  pending = '';
  if (lines) sink.write(lines);
};
const batched = {
  write(line: string) {
    pending += line;
    if (pending.length >= FLUSH_BYTES) writePending();
    else timer ??= setTimeout(writePending, FLUSH_MS);
  },
};

let second = Number.NaN;
let secondPrefix = '';

/**
 * pino's `isoTime` (`,"time":"2026-12-05T11:22:33.456Z"`) without a Date and its formatting per
 * line: the text up to the second is made once a second, the milliseconds appended.
 */
function isoTime(): string {
  const now = Date.now();
  const ms = now % 1000;
  if (now - ms !== second) {
    second = now - ms;
    secondPrefix = `,"time":"${new Date(second).toISOString().slice(0, 20)}`;
  }
  return `${secondPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}

/** Structured JSON logs, one line per event, on stdout. */
export function createLogger(level: string = 'info'): Logger {
  return pino(
    {
      level,
      base: { service: 'deployledger' },
      timestamp: isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    batched,
  );
}

/** Writes out what is buffered before the process exits; gives up after `ms` on a stalled pipe. */
export function flushLogs(ms = 500): void {
  writePending();
  sink.flushSync(Date.now() + ms);
}
