/** Timers owned by one simulated object, so that stopping it clears every one of them. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Runs `fn` once after `ms`. */
  after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      fn();
    }, ms);
    this.pending.add(timer);
  }

  /** Runs `fn` every `ms` until the returned function (or `clear()`) is called. */
  every(ms: number, fn: () => void): () => void {
    const timer = setInterval(fn, ms);
    this.pending.add(timer);
    return () => {
      clearInterval(timer);
      this.pending.delete(timer);
    };
  }

  /** Resolves after `ms` (at once for 0); never resolves once `clear()` has run. */
  sleep(ms: number): Promise<void> {
    return ms <= 0 ? Promise.resolve() : new Promise((resolve) => this.after(ms, resolve));
  }

  clear(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}

/**
 * The arguments of the next call of a listener attached with `subscribe` (which returns its
 * detach), or a rejection naming `what` after `timeoutMs`.
 */
export function nextOf<A extends unknown[]>(subscribe: (listener: (...args: A) => void) => () => void, timeoutMs: number, what: string): Promise<A> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${what}: none within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = subscribe((...args) => {
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}
