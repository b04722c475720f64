import type { Clock } from '../src/domain/index.js';
import { planFaults, type PlannedFault } from './fault-plan.js';
import { EXPECTED_CODE, FaultKind, faultMessages, faultTokens, floodBounds } from './faults.js';
import type { Random } from './random.js';
import type { Outgoing, SimulatedDevice } from './simulated-device.js';
import type { Tally } from './tally.js';

export interface TrafficPlan {
  /** Regular messages per second over all devices (each device also keeps to its profile's limit). */
  readonly ratePerSecond: number;
  /** Stop after this many regular messages… */
  readonly count: number | undefined;
  /** …or after this long, whichever comes first. */
  readonly durationMs: number | undefined;
  /** Send each fault kind once, spread over the run, and a flood at the end. */
  readonly faults: boolean;
  /** The gateway's `mqtt.maxPayloadBytes`: the oversized fault goes just beyond it. */
  readonly maxPayloadBytes: number;
}

export interface TrafficDeps {
  readonly clock: Clock;
  /** Waits `ms`, or less when the run is aborted. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: Random;
  readonly tally: Tally;
  readonly signal?: AbortSignal | undefined;
  /** Lines worth telling the person running the simulator. */
  readonly notice: (line: string) => void;
}

/** Beyond this many unacknowledged messages, sending waits for acknowledgements. */
const MAX_IN_FLIGHT = 1000;

/**
 * Paces the traffic of a run: regular uploads at the overall rate from devices that have a token
 * of their allowance, faults when their turn comes, floods last. Sending never waits for a PUBACK
 * (the messages of one duplicate fault aside), so acknowledgement latency does not slow the rate.
 */
export class Traffic {
  private readonly pending: PlannedFault[];
  private readonly inflight = new Set<Promise<void>>();
  private regularSent = 0;
  private startMs = 0;

  constructor(
    private readonly devices: readonly SimulatedDevice[],
    private readonly plan: TrafficPlan,
    private readonly deps: TrafficDeps,
  ) {
    if (!(plan.ratePerSecond > 0)) throw new Error(`the rate must be above 0 messages per second, not ${plan.ratePerSecond}`);
    if (devices.length === 0) throw new Error('no devices to simulate');
    this.pending = plan.faults ? planFaults(devices, deps.random, deps.notice) : [];
  }

  /** How far the regular traffic is, 0–1. */
  progress(): number {
    const { count, durationMs } = this.plan;
    const byCount = count === undefined ? 0 : this.regularSent / count;
    const byTime = durationMs === undefined ? 0 : (this.deps.clock.now() - this.startMs) / durationMs;
    return Math.min(1, Math.max(byCount, byTime));
  }

  async run(): Promise<void> {
    const { clock, sleep } = this.deps;
    const intervalMs = 1000 / this.plan.ratePerSecond;
    this.startMs = clock.now();
    let nextDueMs = this.startMs;
    while (this.progress() < 1 && !this.aborted()) {
      await sleep(nextDueMs - clock.now());
      if (this.aborted()) break;
      if (this.inflight.size >= MAX_IN_FLIGHT) await Promise.race(this.inflight);
      if (this.sendDueFault() || this.sendRegular()) {
        // Keep to the schedule, but never burst to catch up after a wait for tokens.
        nextDueMs = Math.max(nextDueMs + intervalMs, clock.now() - intervalMs);
      } else {
        await sleep(this.msUntilReady());
      }
    }
    // Faults whose device had no token to spare yet; floods strictly last, each draining its device.
    for (const fault of [...this.pending].sort((a, b) => Number(a.kind === 'flood') - Number(b.kind === 'flood'))) {
      if (this.aborted()) break;
      // A fault needing more than the whole bucket waits a minute, then goes regardless.
      await sleep(Math.min(60_000, fault.device.allowance.msUntil(faultTokens(fault.kind))));
      this.sendFault(fault);
    }
    await Promise.all(this.inflight);
  }

  private aborted(): boolean {
    return this.deps.signal?.aborted === true;
  }

  /** Tokens a device keeps back for its faults still to come (never its whole bucket: regular traffic goes on). */
  private reserved(device: SimulatedDevice): number {
    const wanted = this.pending.reduce((n, f) => n + (f.device === device ? faultTokens(f.kind) : 0), 0);
    return Math.min(wanted, device.allowance.perMinute - 1);
  }

  /** How long until some device may send again, at most until the run's end (and a second, to look again). */
  private msUntilReady(): number {
    const { durationMs } = this.plan;
    const left = durationMs === undefined ? 1000 : this.startMs + durationMs - this.deps.clock.now();
    const devices = this.devices.map((d) => d.allowance.msUntil(1 + this.reserved(d)));
    const faults = this.pending.map((f) => f.device.allowance.msUntil(faultTokens(f.kind)));
    return Math.min(1000, left, ...devices, ...faults);
  }

  private sendRegular(): boolean {
    const ready = this.devices.filter((d) => d.allowance.available() >= 1 + this.reserved(d));
    if (ready.length === 0) return false;
    const device = this.deps.random.pick(ready);
    device.allowance.take();
    this.regularSent += 1;
    this.track(this.sendInOrder(device, [device.nextUpload(this.deps.clock.now())]));
    return true;
  }

  private sendDueFault(): boolean {
    const progress = this.progress();
    const due = this.pending.find((f) => f.kind !== 'flood' && f.at <= progress && f.device.allowance.available() >= faultTokens(f.kind));
    if (due === undefined) return false;
    this.sendFault(due);
    return true;
  }

  private sendFault(fault: PlannedFault): void {
    this.pending.splice(this.pending.indexOf(fault), 1);
    const { device, kind } = fault;
    const { tally } = this.deps;
    const messages = faultMessages(kind, device, this.deps.clock.now(), this.plan.maxPayloadBytes);
    device.allowance.take(messages.length);
    tally.fault(kind);
    const code = EXPECTED_CODE[kind];
    if (kind === FaultKind.Flood) {
      const { min, max } = floodBounds(device.profile);
      tally.expect(code as string, min, max);
      // All at once: the gateway sees the burst faster than its bucket refills.
      for (const message of messages) this.track(this.sendInOrder(device, [message]));
      return;
    }
    if (code !== undefined) tally.expect(code, 1);
    // In order: a duplicate re-publishes only once its original was acknowledged.
    this.track(this.sendInOrder(device, messages));
  }

  private async sendInOrder(device: SimulatedDevice, messages: readonly Outgoing[]): Promise<void> {
    const { tally } = this.deps;
    for (const message of messages) {
      tally.sending(message);
      try {
        await device.link.publish(message.channel, message.payload);
        tally.acked(message);
      } catch (error) {
        tally.error(`${device.id}: ${(error as Error).message}`);
      }
    }
  }

  private track(task: Promise<void>): void {
    this.inflight.add(task);
    void task.finally(() => this.inflight.delete(task));
  }
}
