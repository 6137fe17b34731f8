import { spawn } from 'node:child_process';

/**
 * Ends the process on SIGTERM or SIGINT, whatever stopping does. The grace timer is armed before
 * anything that can throw or block (a log line to a closed pipe included), so a stop that hangs
 * still ends in `graceMs`; a second signal ends the process at once.
 */
export function exitOnSignals(options: {
  stop: () => Promise<void>;
  /** Runs right before exiting, whatever happens in it (flushing the logs). */
  beforeExit?: () => void;
  graceMs: number;
  log: (event: { signal: string; phase: 'stopping' | 'forced' | 'stop failed'; error?: unknown }) => void;
}) {
  let stopping = false;
  const exit = (code: number) => {
    try {
      options.beforeExit?.();
    } finally {
      process.exit(code);
    }
  };
  const quietly = (event: Parameters<typeof options.log>[0]) => {
    try {
      options.log(event);
    } catch {
      // stdout may be a pipe nobody reads any more; exiting matters more than this line
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      quietly({ signal, phase: 'forced' });
      exit(1);
    }
    stopping = true;
    setTimeout(() => exit(1), options.graceMs);
    armWatchdog(options.graceMs + 1000);
    quietly({ signal, phase: 'stopping' });
    Promise.resolve()
      .then(options.stop)
      .then(
        () => exit(0),
        (error: unknown) => {
          quietly({ signal, phase: 'stop failed', error });
          exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * The last resort, outside this process: a shell that SIGKILLs it after `ms` if it is still there.
 * A main thread blocked where no JavaScript runs (a write that never returns, a hang while
 * exiting) cannot fire its own timer. The shell checks the pid is still a deployledger process.
 */
function armWatchdog(ms: number): void {
  if (process.platform === 'win32') return;
  const pid = process.pid;
  const script =
    `sleep ${Math.ceil(ms / 1000)}; ` +
    `{ tr '\\0' ' ' < /proc/${pid}/cmdline 2>/dev/null || ps -p ${pid} -o command= 2>/dev/null; } ` +
    `| grep -q deployledger && kill -9 ${pid}`;
  try {
    const watchdog = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
    watchdog.on('error', () => {});
    watchdog.unref();
  } catch {
    // no shell here: the in-process timer is all there is
  }
}

/** Waits for `work` at most `ms`; a step of shutdown that hangs must not hold up the rest. */
export async function bounded(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.resolve(work).catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
