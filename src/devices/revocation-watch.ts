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
    // A revocation carries its writer's time, but is seen only once committed: a slow commit (or
    // another machine's clock) can put that time before a check that has already run. Every check
    // looks back a minute, or one interval if longer; disconnecting an id already gone does nothing.
    const ids = this.revokedSince(this.sinceMs - Math.max(this.intervalMs, LOOK_BACK_MS));
    this.sinceMs = now;
    return ids.filter((id) => this.disconnect(id));
  }

  /** Idempotent. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

const LOOK_BACK_MS = 60_000;
