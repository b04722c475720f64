import type { Logger } from './observability/index.js';

/**
 * What a running gateway has opened, closed in reverse order: `start()` registers how to close
 * each part as it opens it; `stop()` (and a failed start) closes them. `stop()` is safe to call at
 * any time and more than once.
 */
export class Closers {
  private readonly closers: (() => unknown)[] = [];
  private stopping: Promise<void> | undefined;

  push(close: () => unknown): void {
    this.closers.push(close);
  }

  /** Closes everything registered so far, newest first. */
  async closeAll(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) await close();
  }

  stop(log: Logger): Promise<void> {
    this.stopping ??= this.closeAll().then(() => log.info('gateway stopped'));
    return this.stopping;
  }
}

/**
 * A value read from a shared database every `intervalMs`, for readers that cannot wait (metrics,
 * `/healthz`, per-patient settings the rules consult): the last value read; a failed read keeps it.
 * The first read is awaited; the timer stops with the closers.
 */
export async function polled<T>(load: () => Promise<T>, intervalMs: number, closers: Closers): Promise<() => T> {
  let value: T = await load();
  const timer = setInterval(() => void load().then((v) => (value = v), () => {}), intervalMs).unref();
  closers.push(() => clearInterval(timer));
  return () => value;
}
