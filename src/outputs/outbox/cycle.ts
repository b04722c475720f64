/**
 * One send cycle at a time for an outbox sender: `tick()` starts a cycle, or, while one runs, asks
 * for another right after it (entries committed meanwhile may have been missed by its last read);
 * a poll timer ticks too. `stop()` ends the polling and waits for the cycle in flight.
 */
export class SendCycle {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  stopped = false;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly failed: (error: unknown) => void,
    private readonly pollIntervalMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.pollIntervalMs).unref();
  }

  tick(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.run()
      .catch(this.failed)
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          void this.tick();
        }
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
