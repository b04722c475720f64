import { FaultKind, faultTokens, supportsFault } from './faults.js';
import type { Random } from './random.js';
import type { SimulatedDevice } from './simulated-device.js';

/** A fault given to a device, due at some point of the run. */
export interface PlannedFault {
  readonly kind: FaultKind;
  readonly device: SimulatedDevice;
  /** Sent once the run's progress (0–1) reaches this. */
  readonly at: number;
}

/**
 * Gives each fault kind to a device whose profile can express it (the one with the most allowance
 * left), spread evenly over the run; the flood goes to the device with the lowest limit.
 */
export function planFaults(devices: readonly SimulatedDevice[], random: Random, notice: (line: string) => void): PlannedFault[] {
  const spare = new Map(devices.map((d) => [d, d.profile.maxMessagesPerMinute]));
  const kinds = Object.values(FaultKind).filter((k) => k !== FaultKind.Flood);
  const order = kinds.map((kind) => ({ kind, key: random.next() })).sort((a, b) => a.key - b.key);
  const planned: PlannedFault[] = [];
  order.forEach(({ kind }, i) => {
    const candidates = devices.filter((d) => supportsFault(d.profile, kind));
    if (candidates.length === 0) return notice(`no device's profile can send the ${kind} fault; skipped`);
    const device = candidates.reduce((best, d) => ((spare.get(d) as number) > (spare.get(best) as number) ? d : best));
    spare.set(device, (spare.get(device) as number) - faultTokens(kind));
    planned.push({ kind, device, at: (i + 1) / (order.length + 1) });
  });
  const flooder = devices.reduce((low, d) => (d.profile.maxMessagesPerMinute < low.profile.maxMessagesPerMinute ? d : low));
  planned.push({ kind: FaultKind.Flood, device: flooder, at: 1 });
  return planned;
}
