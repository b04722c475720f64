import type { Clock } from '../domain/index.js';

/**
 * Turns a flooding device away. Rate-limited messages are rejected one by one; a device that keeps
 * going — `maxRefusals` rate-limited messages within `windowMs` — is disconnected and refused
 * reconnection for `banMs`, so it cannot fill the dead-letter table or starve other devices.
 */
export class FloodGuard {
  private readonly refusals = new Map<string, { count: number; sinceMs: number }>();
  private readonly bans = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly maxRefusals: number,
    private readonly windowMs: number,
    private readonly banMs: number,
  ) {}

  /** Records a rate-limited message; true (once per ban) when the device has now flooded and must go. */
  refused(deviceId: string): boolean {
    if (this.banned(deviceId)) return false; // already on its way out
    const now = this.clock.now();
    const r = this.refusals.get(deviceId);
    const current = r === undefined || now - r.sinceMs >= this.windowMs ? { count: 0, sinceMs: now } : r;
    current.count += 1;
    this.refusals.set(deviceId, current);
    if (current.count < this.maxRefusals) return false;
    this.refusals.delete(deviceId);
    this.bans.set(deviceId, now + this.banMs);
    return true;
  }

  /** True while the device is banned for flooding. */
  banned(deviceId: string): boolean {
    const until = this.bans.get(deviceId);
    if (until === undefined) return false;
    if (this.clock.now() < until) return true;
    this.bans.delete(deviceId);
    return false;
  }
}
