import { backoff } from '../backoff.ts';

/** Exponential backoff with jitter (half fixed, half random); `reset()` after a connection proved healthy. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {}

  next(): number {
    this.attempt = Math.min(this.attempt + 1, 31);
    return backoff(this.attempt, this.initialMs, this.maxMs);
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** A sleep that `wake()` cuts short (used to stop promptly). */
export function interruptibleSleep(ms: number): { done: Promise<void>; wake: () => void } {
  let wake = () => {};
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { done, wake };
}
