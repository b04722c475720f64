/**
 * Simulated health devices on the BlueZ simulator, each a `SimulatedDevice` (`.device`: MAC
 * address, link, fault modes) plus what the device does: devices that store measurements indicate
 * them once the client enables indications, like a real cuff uploading after connect; streaming
 * devices notify every period; the glucose meter answers RACP requests. Values come from the
 * encoders in encode.ts; every device also has Current Time (0x1805) unless told otherwise.
 */
import { currentTimeService, RecordAccess, SimulatedDevice, Stream, Upload, type DeviceOptions, type Link, type ServiceDefinition, type StoredRecord } from './bluez/index.js';
import { bloodPressure, glucose, heartRate, intermediateCuffPressure, plxContinuous, plxSpotCheck, temperature, weight, type BloodPressureInput } from './encode.js';

export type { BloodPressureInput } from './encode.js';
export type HeartRateInput = Parameters<typeof heartRate>[0];
export type GlucoseInput = Parameters<typeof glucose>[0];
export type WeightInput = Parameters<typeof weight>[0];
export type TemperatureInput = Parameters<typeof temperature>[0];
export type PlxSpotCheckInput = Parameters<typeof plxSpotCheck>[0];
export type PlxContinuousInput = Parameters<typeof plxContinuous>[0];

export interface ModelOptions extends Partial<Omit<DeviceOptions, 'address' | 'services'>> {
  /** MAC address `AA:BB:CC:DD:EE:FF`. */
  readonly address: string;
  /** How far the device clock (Current Time, 0x2A2B) is ahead of real time; default 0. */
  readonly clockOffsetMs?: number;
  /** Real time in ms since the epoch; default `Date.now`. */
  readonly now?: () => number;
  /** The zone the device's clock is set to (Current Time is local time); default Europe/London, the shipped profiles' zone. */
  readonly timeZone?: string;
  /** Whether the device has the Current Time service; default true. */
  readonly currentTime?: boolean;
  /** Gap between indications of stored measurements or records; default 20 ms. */
  readonly uploadIntervalMs?: number;
}

const DEFAULT_UPLOAD_INTERVAL_MS = 20;
const u16 = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >> 8) & 0xff);
const u32 = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);

/** The device of a model, with Current Time appended unless `currentTime: false`. */
function simulated(options: ModelOptions, defaultName: string, services: ServiceDefinition[]): SimulatedDevice {
  const { clockOffsetMs = 0, now = Date.now, currentTime = true, timeZone = 'Europe/London', uploadIntervalMs: _, name = defaultName, ...device } = options;
  return new SimulatedDevice({ ...device, name, services: currentTime ? [...services, currentTimeService(() => now() + clockOffsetMs, timeZone)] : services });
}

/** Sends through a model's device, which exists only once its services are defined. */
const linkOf = (device: () => SimulatedDevice): Link => ({ send: (uuid, value) => device().send(uuid, value), notifying: (uuid) => device().notifying(uuid) });
const uploadOf = (options: ModelOptions, device: () => SimulatedDevice, uuid: number): Upload =>
  new Upload(linkOf(device), uuid, options.uploadIntervalMs ?? DEFAULT_UPLOAD_INTERVAL_MS);

/** Blood pressure cuff (0x1810): stored measurements indicated on 0x2A35; cuff pressure on 0x2A36. */
export class BloodPressureCuff {
  readonly device: SimulatedDevice;
  private readonly upload: Upload;

  /** `feature`: the Blood Pressure Feature bits read from 0x2A49 (default 0). */
  constructor(options: ModelOptions & { readonly feature?: number }) {
    this.upload = uploadOf(options, () => this.device, 0x2a35);
    this.device = simulated(options, 'Sim BP Cuff', [
      {
        uuid: 0x1810,
        characteristics: [this.upload.characteristic(['indicate']), { uuid: 0x2a36, flags: ['notify'] }, { uuid: 0x2a49, flags: ['read'], read: () => u16(options.feature ?? 0) }],
      },
    ]);
  }

  /** Stores a measurement (indicated at once if the client listens); returns its bytes. */
  queue(measurement: BloodPressureInput): Uint8Array {
    const bytes = bloodPressure(measurement);
    this.upload.push(bytes);
    return bytes;
  }

  /** Notifies an Intermediate Cuff Pressure now; false if notifications on 0x2A36 are off. */
  cuffPressure(mmHg: number): boolean {
    return this.device.send(0x2a36, intermediateCuffPressure({ cuffPressure: mmHg }));
  }

  /** Stored measurements not yet indicated. */
  get pending(): number {
    return this.upload.queued.length;
  }
}

/** Heart-rate strap (0x180D): a measurement on 0x2A37 every `periodMs` while notifications are on. */
export class HeartRateStrap {
  readonly device: SimulatedDevice;
  private readonly stream: Stream;

  /** `measurement(i)` gives the i-th measurement sent (default 60–69 bpm, contact detected). */
  constructor(options: ModelOptions & { readonly periodMs?: number; readonly measurement?: (i: number) => HeartRateInput }) {
    const next = options.measurement ?? ((i: number): HeartRateInput => ({ heartRate: 60 + (i % 10), sensorContact: 'detected' }));
    this.stream = new Stream(linkOf(() => this.device), 0x2a37, options.periodMs ?? 1000, (i) => heartRate(next(i)));
    // 0x2A38 Body Sensor Location: 1 chest [GATT Supplement 3.21]
    this.device = simulated(options, 'Sim HR Strap', [{ uuid: 0x180d, characteristics: [this.stream.characteristic(), { uuid: 0x2a38, flags: ['read'], read: () => Uint8Array.of(1) }] }]);
  }

  /** Measurements notified so far, over all connections. */
  get sent(): number {
    return this.stream.sent;
  }
}

/** Glucose meter (0x1808): stored records, reported on 0x2A18 (0x2A34) through the RACP 0x2A52. */
export class GlucoseMeter {
  readonly device: SimulatedDevice;
  private readonly stored: { readonly input: GlucoseInput; readonly record: StoredRecord }[] = [];
  private readonly racp: RecordAccess;

  constructor(options: ModelOptions & { readonly records?: readonly GlucoseInput[] }) {
    for (const record of options.records ?? []) this.addRecord(record);
    const store = { records: () => this.stored.map((s) => s.record), delete: (seqs: readonly number[]) => this.forget(seqs) };
    this.racp = new RecordAccess(linkOf(() => this.device), store, { racp: 0x2a52, measurement: 0x2a18, context: 0x2a34 }, options.uploadIntervalMs ?? DEFAULT_UPLOAD_INTERVAL_MS);
    this.device = simulated(options, 'Sim Glucose Meter', [
      {
        uuid: 0x1808,
        characteristics: [
          { uuid: 0x2a18, flags: ['notify'] },
          { uuid: 0x2a34, flags: ['notify'] },
          { uuid: 0x2a51, flags: ['read'], read: () => u16(0) },
          this.racp.characteristic(),
        ],
      },
    ]);
  }

  /** Stores a record (reported at the next RACP request that selects it); returns its bytes. */
  addRecord(record: GlucoseInput): Uint8Array {
    const stored = { input: record, record: toRecord(record) };
    this.stored.push(stored);
    return stored.record.measurement;
  }

  get records(): readonly GlucoseInput[] {
    return this.stored.map((s) => s.input);
  }

  /** Every RACP request written, oldest first. */
  get racpWrites(): readonly Uint8Array[] {
    return this.racp.writes;
  }

  private forget(sequenceNumbers: readonly number[]): void {
    const keep = this.stored.filter((s) => !sequenceNumbers.includes(s.record.sequenceNumber));
    this.stored.splice(0, this.stored.length, ...keep);
  }
}

/** A glucose record; its context, when one follows, carries just flags 0 and the sequence number [GLS 3.x 0x2A34]. */
const toRecord = (r: GlucoseInput): StoredRecord => ({
  sequenceNumber: r.sequenceNumber,
  measurement: glucose(r),
  ...(r.contextInformationFollows === true ? { context: Uint8Array.of(0x00, ...u16(r.sequenceNumber)) } : {}),
});

/** Weight scale (0x181D): stored measurements indicated on 0x2A9D. */
export class WeightScale {
  readonly device: SimulatedDevice;
  private readonly upload: Upload;

  constructor(options: ModelOptions) {
    this.upload = uploadOf(options, () => this.device, 0x2a9d);
    // 0x2A9E Weight Scale Feature u32: 0, no optional features
    this.device = simulated(options, 'Sim Scale', [{ uuid: 0x181d, characteristics: [this.upload.characteristic(), { uuid: 0x2a9e, flags: ['read'], read: () => u32(0) }] }]);
  }

  queue(measurement: WeightInput): Uint8Array {
    const bytes = weight(measurement);
    this.upload.push(bytes);
    return bytes;
  }

  get pending(): number {
    return this.upload.queued.length;
  }
}

/** Health thermometer (0x1809): stored measurements indicated on 0x2A1C. */
export class Thermometer {
  readonly device: SimulatedDevice;
  private readonly upload: Upload;

  constructor(options: ModelOptions) {
    this.upload = uploadOf(options, () => this.device, 0x2a1c);
    this.device = simulated(options, 'Sim Thermometer', [{ uuid: 0x1809, characteristics: [this.upload.characteristic()] }]);
  }

  queue(measurement: TemperatureInput): Uint8Array {
    const bytes = temperature(measurement);
    this.upload.push(bytes);
    return bytes;
  }

  get pending(): number {
    return this.upload.queued.length;
  }
}

/**
 * Pulse oximeter (0x1822): stored spot checks indicated on 0x2A5E; a continuous measurement on
 * 0x2A5F every `periodMs` while notifications are on.
 */
export class PulseOximeter {
  readonly device: SimulatedDevice;
  private readonly upload: Upload;
  private readonly stream: Stream;

  constructor(options: ModelOptions & { readonly periodMs?: number; readonly continuous?: (i: number) => PlxContinuousInput }) {
    this.upload = uploadOf(options, () => this.device, 0x2a5e);
    const next = options.continuous ?? ((i: number): PlxContinuousInput => ({ spo2: 97 + (i % 2), pulseRate: 70 + (i % 5) }));
    this.stream = new Stream(linkOf(() => this.device), 0x2a5f, options.periodMs ?? 1000, (i) => plxContinuous(next(i)));
    // 0x2A60 PLX Features: supported features u16 0
    this.device = simulated(options, 'Sim Oximeter', [
      { uuid: 0x1822, characteristics: [this.upload.characteristic(), this.stream.characteristic(), { uuid: 0x2a60, flags: ['read'], read: () => u16(0) }] },
    ]);
  }

  queue(measurement: PlxSpotCheckInput): Uint8Array {
    const bytes = plxSpotCheck(measurement);
    this.upload.push(bytes);
    return bytes;
  }

  get pending(): number {
    return this.upload.queued.length;
  }

  /** Continuous measurements notified so far. */
  get sent(): number {
    return this.stream.sent;
  }
}
