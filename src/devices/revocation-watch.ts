import type { Clock } from '../domain/index.js';

/**
 * Closes the connection of a device (or an account) revoked while connected. Revocation is written
 * by the CLI in another process too, so the gateway looks for new revocations in the store at a
 * fixed interval.
 */
export class RevocationWatch {
  private timer: NodeJS.Timeout | undefined;
  private sinceMs: number;

  constructor(
    /** Ids revoked at or after a time. */
    private readonly revokedSince: (sinceMs: number) => string[],
    private readonly disconnect: (id: string) => boolean,
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {
    this.sinceMs = clock.now();
  }

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.intervalMs).unref();
  }

  /** Disconnects those revoked since the last check; returns the ids disconnected. */
  check(): string[] {
    const now = this.clock.now();
    // Overlap one interval: a revocation committed while the last check ran is not missed.
    const ids = this.revokedSince(this.sinceMs - this.intervalMs);
    this.sinceMs = now;
    return ids.filter((id) => this.disconnect(id));
  }

  /** Idempotent. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
