import type { Clock } from '../domain/index.js';

/**
 * Limits password guessing: after `maxFailures` wrong secrets for one device id within
 * `windowMs`, further attempts for that id are refused without running scrypt until the window
 * has passed since the last failure. This also caps the CPU and memory (16 MiB per scrypt) an
 * attacker can make the gateway spend.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; lastMs: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly maxFailures = 5,
    private readonly windowMs = 60_000,
  ) {}

  /** True while `deviceId` is locked out. */
  locked(deviceId: string): boolean {
    const f = this.failures.get(deviceId);
    if (f === undefined) return false;
    if (this.clock.now() - f.lastMs >= this.windowMs) {
      this.failures.delete(deviceId);
      return false;
    }
    return f.count >= this.maxFailures;
  }

  failed(deviceId: string): void {
    const now = this.clock.now();
    const f = this.failures.get(deviceId);
    const fresh = f === undefined || now - f.lastMs >= this.windowMs;
    this.failures.set(deviceId, { count: fresh ? 1 : f.count + 1, lastMs: now });
  }

  succeeded(deviceId: string): void {
    this.failures.delete(deviceId);
  }
}
