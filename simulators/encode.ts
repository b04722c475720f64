import { canConvert, convert, toUcum } from '../src/domain/index.js';
import type { DeviceProfile, MetricSpec } from '../src/profiles/index.js';
import { round } from './generators/measurement.js';
import { deviceZone, isoWithOffset, zonedTime } from './time.js';

/** A measurement ready to send, with its message id. */
export interface WireReading {
  readonly messageId: string;
  readonly takenAtMs: number;
  /** Values in the profile's canonical units. */
  readonly values: Readonly<Record<string, number>>;
  /** metric → unit to send the value in; a unit with no known conversion is written as given (a fault). */
  readonly units: Readonly<Record<string, string>>;
  /** Write the local time without a UTC offset (a fault where the profile declares no time zone). */
  readonly omitOffset?: boolean;
}

type VendorPayload = Extract<DeviceProfile['payload'], { format: 'vendor' }>;
type TimeFormat = VendorPayload['takenAt']['format'];

/** Decimals devices show in a non-canonical unit (°F and lb to a tenth, mg/dL whole). */
const DISPLAY_DECIMALS: Readonly<Record<string, number>> = { '[degF]': 1, '[lb_av]': 1, 'mg/dL': 0, kPa: 2 };

/** A canonical value in the unit the device sends. */
function inUnit(value: number, spec: MetricSpec, unit: string): number {
  if (unit === spec.unit || !canConvert(spec.unit, unit)) return value;
  return round(convert(value, spec.unit, unit) as number, DISPLAY_DECIMALS[unit] ?? 2);
}

/**
 * Encodes readings in the payload shape the device's profile declares: the gateway's canonical
 * JSON (one object, or an array for a batch), or the vendor's own JSON, written through the same
 * field paths the gateway reads it with. `sentAtMs` is the device's clock at upload.
 */
export function encodeReadings(profile: DeviceProfile, readings: readonly WireReading[], sentAtMs: number): unknown {
  if (profile.payload.format === 'canonical') {
    const items = readings.map((r) => canonicalItem(profile, r));
    return items.length === 1 ? items[0] : items;
  }
  const vendor = profile.payload;
  const items = readings.map((r) => vendorItem(profile, vendor, r, sentAtMs));
  if (vendor.batchPath !== undefined) return setPath({}, vendor.batchPath, items);
  return items.length === 1 ? items[0] : items;
}

function canonicalItem(profile: DeviceProfile, r: WireReading): Record<string, unknown> {
  const values: Record<string, number> = {};
  const units: Record<string, string> = {};
  for (const [metric, value] of Object.entries(r.values)) {
    const spec = profile.metrics[metric];
    const unit = r.units[metric];
    values[metric] = spec === undefined || unit === undefined ? value : inUnit(value, spec, unit);
    if (unit !== undefined && unit !== spec?.unit) units[metric] = unit;
  }
  const zone = deviceZone(profile);
  const takenAt = r.omitOffset === true ? zonedTime(r.takenAtMs, zone).wall : isoWithOffset(r.takenAtMs, zone);
  return { messageId: r.messageId, takenAt, values, ...(Object.keys(units).length > 0 ? { units } : {}) };
}

function vendorItem(profile: DeviceProfile, vendor: VendorPayload, r: WireReading, sentAtMs: number): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  // A profile with a time zone is for a device whose clock writes local time without an offset.
  const local = r.omitOffset === true || profile.timeZone !== undefined;
  const zone = deviceZone(profile);
  if (vendor.messageId !== undefined) setPath(item, vendor.messageId, r.messageId);
  setPath(item, vendor.takenAt.path, timeIn(r.takenAtMs, vendor.takenAt.format, zone, local));
  if (vendor.deviceTime !== undefined) setPath(item, vendor.deviceTime.path, timeIn(sentAtMs, vendor.deviceTime.format, zone, local));
  for (const [metric, field] of Object.entries(vendor.values)) {
    const value = r.values[metric];
    const spec = profile.metrics[metric];
    if (value === undefined || spec === undefined) continue;
    // A fixed unit is the device's only one; a unit field names it, and such devices report in
    // their own unit (the profile's first alternative) unless told otherwise.
    const unit = field.unit !== undefined ? toUcum(field.unit) : (r.units[metric] ?? spec.alternativeUnits[0] ?? spec.unit);
    setPath(item, field.path, inUnit(value, spec, unit));
    if (field.unitPath !== undefined) setPath(item, field.unitPath, unit);
  }
  return item;
}

function timeIn(ms: number, format: TimeFormat, zone: string, local: boolean): string | number {
  switch (format) {
    case 'epoch-s':
      return Math.floor(ms / 1000);
    case 'epoch-ms':
      return ms;
    case 'iso-8601':
      return local ? zonedTime(ms, zone).wall : isoWithOffset(ms, zone);
    default:
      return format satisfies never;
  }
}

/** Writes `value` at a dot-separated path (the profile's field-path syntax), creating objects and arrays on the way. */
export function setPath<T extends object>(target: T, path: string, value: unknown): T {
  const keys = path.split('.');
  let here = target as Record<string, unknown>;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      here[key] = value;
      return;
    }
    const existing = here[key];
    if (typeof existing !== 'object' || existing === null) here[key] = /^\d+$/.test(keys[i + 1] as string) ? [] : {};
    here = here[key] as Record<string, unknown>;
  });
  return target;
}
