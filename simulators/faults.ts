import { IssueCode } from '../src/domain/index.js';
import type { DeviceProfile } from '../src/profiles/index.js';
import type { WireReading } from './encode.js';
import type { Outgoing, SimulatedDevice } from './simulated-device.js';

/** What `--faults` sends besides regular traffic: the mistakes real devices make. */
export const FaultKind = {
  MalformedJson: 'malformed-json',
  OutOfRange: 'out-of-range',
  WrongUnit: 'wrong-unit',
  RuleViolated: 'rule-violated',
  FutureTimestamp: 'future-timestamp',
  MissingOffset: 'missing-offset',
  Duplicate: 'duplicate',
  Oversized: 'oversized',
  Flood: 'flood',
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

/** The code the gateway should reject each fault with; a duplicate is accepted and stored once. */
export const EXPECTED_CODE: Readonly<Record<FaultKind, IssueCode | undefined>> = {
  'malformed-json': IssueCode.PayloadMalformedJson,
  'out-of-range': IssueCode.ValueOutOfRange,
  'wrong-unit': IssueCode.UnitNotAccepted,
  'rule-violated': IssueCode.RuleViolated,
  'future-timestamp': IssueCode.TimestampInFuture,
  'missing-offset': IssueCode.TimestampMissingOffset,
  duplicate: undefined,
  oversized: IssueCode.PayloadTooLarge,
  flood: IssueCode.RateLimited,
};

/** Units a device might wrongly send for each canonical unit (a stone scale, an HbA1c unit on a glucose meter). */
const WRONG_UNIT: Readonly<Record<string, string>> = {
  'mm[Hg]': 'cm[H2O]',
  Cel: 'K',
  kg: '[stone_av]',
  'mmol/L': 'mmol/mol',
  '%': '1',
  '/min': 'Hz',
};
/** Messages a flood sends beyond the profile's per-minute and backlog allowances, all re-publishes of one reading. */
export const FLOOD_EXTRA = 3;
const DAY_MS = 86_400_000;

/** Whether a device with this profile can express the fault at all. */
export function supportsFault(profile: DeviceProfile, kind: FaultKind): boolean {
  const p = profile.payload;
  switch (kind) {
    case 'wrong-unit':
      return p.format === 'canonical' || Object.values(p.values).some((v) => v.unitPath !== undefined);
    case 'rule-violated':
      return profile.rules.length > 0;
    case 'missing-offset':
      return profile.timeZone === undefined && (p.format === 'canonical' || p.takenAt.format === 'iso-8601');
    case 'malformed-json':
    case 'out-of-range':
    case 'future-timestamp':
    case 'duplicate':
    case 'oversized':
    case 'flood':
      return true;
    default:
      return kind satisfies never;
  }
}

/** Tokens of the device's allowance a fault needs before it starts (a flood then spends them all). */
export const faultTokens = (kind: FaultKind): number => (kind === 'duplicate' ? 2 : 1);

/**
 * How many `rate-limited` rejections a flood must cause at least, and can cause at most. The
 * gateway slows what goes past the per-minute allowance, up to the profile's backlog allowance,
 * and refuses only past both: a flood is that far past the limit.
 */
export function floodBounds(profile: Pick<DeviceProfile, 'maxMessagesPerMinute' | 'maxBacklogReadings'>): { burst: number; min: number; max: number } {
  const burst = profile.maxMessagesPerMinute + profile.maxBacklogReadings + FLOOD_EXTRA;
  // The gateway's bucket holds at most both allowances; the first message finds a token (the simulator waits for one).
  return { burst, min: FLOOD_EXTRA, max: burst - 1 };
}

/**
 * The messages of one fault, in the order to send them. A duplicate and a flood start with a fresh
 * reading the gateway should store, followed by exact re-publishes of it.
 */
export function faultMessages(kind: FaultKind, device: SimulatedDevice, nowMs: number, maxPayloadBytes: number): Outgoing[] {
  const [reading] = device.freshReadings(nowMs).slice(-1) as [WireReading];
  const rejected = (readings: readonly WireReading[]): Outgoing => ({ ...device.readings(readings, nowMs), values: 0, alerting: 0 });
  const metrics = Object.keys(reading.values);
  switch (kind) {
    case 'malformed-json': {
      // A message cut short, as by a buffer overrun in the device's firmware.
      const text = device.encode([reading], nowMs).toString('utf8');
      return [{ ...rejected([reading]), payload: Buffer.from(text.slice(0, Math.floor(text.length * 0.6))) }];
    }
    case 'out-of-range': {
      const metric = metrics[0] as string;
      const { min, max } = (device.profile.metrics[metric] as DeviceProfile['metrics'][string]).limits;
      return [rejected([{ ...reading, values: { ...reading.values, [metric]: max + (max - min) / 2 } }])];
    }
    case 'wrong-unit': {
      const units = Object.fromEntries(metrics.map((m) => [m, WRONG_UNIT[device.profile.metrics[m]?.unit ?? ''] ?? '[arb\'U]']));
      return [rejected([{ ...reading, units }])];
    }
    case 'rule-violated':
      return [rejected([breakRule(device.profile, reading)])];
    case 'future-timestamp':
      return [rejected([{ ...reading, takenAtMs: nowMs + DAY_MS }])];
    case 'missing-offset':
      return [rejected([{ ...reading, omitOffset: true }])];
    case 'oversized':
      return [rejected(oversizedBatch(device, reading, nowMs, maxPayloadBytes))];
    case 'duplicate':
    case 'flood': {
      const original = device.readings([reading], nowMs);
      const copies = kind === 'duplicate' ? 1 : floodBounds(device.profile).burst - 1;
      const copy: Outgoing = { ...original, values: 0, alerting: 0, duplicate: true };
      return [original, ...Array.from({ length: copies }, () => copy)];
    }
    default:
      return kind satisfies never;
  }
}

/** Swaps the two metrics of the profile's first rule (a cuff that mixes up systolic and diastolic). */
function breakRule(profile: DeviceProfile, reading: WireReading): WireReading {
  const rule = profile.rules[0];
  const a = rule && reading.values[rule.metric];
  const b = rule && reading.values[rule.than];
  const limitsA = rule && profile.metrics[rule.metric]?.limits;
  const limitsB = rule && profile.metrics[rule.than]?.limits;
  if (rule === undefined || a === undefined || b === undefined || limitsA === undefined || limitsB === undefined) return reading;
  const fits = (v: number, l: { min: number; max: number }): boolean => v >= l.min && v <= l.max;
  // Swapped where both still fit their limits; otherwise equal, which breaks "greater than" as well.
  const values = fits(b, limitsA) && fits(a, limitsB) ? { [rule.metric]: b, [rule.than]: a } : fits(b, limitsA) ? { [rule.metric]: b } : { [rule.than]: a };
  return { ...reading, values: { ...reading.values, ...values } };
}

/** The backlog of a device that saved up readings: one batch just over the gateway's payload size limit. */
function oversizedBatch(device: SimulatedDevice, reading: WireReading, nowMs: number, maxPayloadBytes: number): WireReading[] {
  const batch = (count: number): WireReading[] =>
    Array.from({ length: count }, (_, i) => ({ ...reading, messageId: `${reading.messageId}.${i}`, takenAtMs: reading.takenAtMs - i * 1000 }));
  // Size of the envelope and of each further reading, measured in the device's own payload shape;
  // then measured again, since readings differ in length (an older one across a change of summer
  // time carries another UTC offset, a longer message id), until the batch really is too large.
  const target = maxPayloadBytes + 1024;
  const one = device.encode(batch(1), nowMs).length;
  const each = Math.max(1, device.encode(batch(2), nowMs).length - one);
  let count = Math.ceil((target - one) / each) + 1;
  for (let size = device.encode(batch(count), nowMs).length; size <= target; size = device.encode(batch(count), nowMs).length) {
    count += Math.ceil((target - size) / each) + 1;
  }
  return batch(count);
}
