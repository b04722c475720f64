import type { Clock } from '../domain/index.js';
import type { DeviceStore } from '../store/device-store.js';

/**
 * Closes the connection of a device revoked while connected. Revocation is written by the CLI in
 * another process, so the gateway looks for new revocations in the store at a fixed interval.
 */
export class RevocationWatch {
  private timer: NodeJS.Timeout | undefined;
  private sinceMs: number;

  constructor(
    private readonly devices: Pick<DeviceStore, 'revokedSince'>,
    private readonly disconnect: (deviceId: string) => boolean,
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {
    this.sinceMs = clock.now();
  }

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.intervalMs).unref();
  }

  /** Disconnects devices revoked since the last check; returns the ids disconnected. */
  check(): string[] {
    const now = this.clock.now();
    // Overlap one interval: a revocation committed while the last check ran is not missed.
    const ids = this.devices.revokedSince(this.sinceMs - this.intervalMs);
    this.sinceMs = now;
    return ids.filter((id) => this.disconnect(id));
  }

  /** Idempotent. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
