/**
 * Runs `tick` every `intervalMs`, and at once when kicked; never two ticks at a time. A tick
 * that returns true did work, so the next one runs without waiting.
 */
export class Poller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly tick: () => Promise<boolean>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): this {
    this.schedule(0);
    return this;
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), delay);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (this.running || this.stopped) return;
    let busy = false;
    this.running = (async () => {
      try {
        busy = await this.tick();
      } catch (error) {
        this.onError(error);
      }
    })();
    await this.running;
    this.running = null;
    const now = busy || this.again;
    this.again = false;
    this.schedule(now ? 0 : this.intervalMs);
  }
}
