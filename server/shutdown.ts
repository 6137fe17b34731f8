/**
 * Ends the process on SIGTERM or SIGINT, whatever stopping does. The grace timer is armed before
 * anything that can throw or block (a log line to a closed pipe included), so a stop that hangs
 * still ends in `graceMs`; a second signal ends the process at once.
 */
export function exitOnSignals(options: {
  stop: () => Promise<void>;
  graceMs: number;
  log: (event: { signal: string; phase: 'stopping' | 'forced' | 'stop failed'; error?: unknown }) => void;
}) {
  let stopping = false;
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
      process.exit(1);
    }
    stopping = true;
    setTimeout(() => process.exit(1), options.graceMs);
    quietly({ signal, phase: 'stopping' });
    Promise.resolve()
      .then(options.stop)
      .then(
        () => process.exit(0),
        (error: unknown) => {
          quietly({ signal, phase: 'stop failed', error });
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
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
