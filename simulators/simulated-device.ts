import type { Clock } from '../src/domain/index.js';
import type { DeviceProfile } from '../src/profiles/index.js';
import { Allowance } from './allowance.js';
import type { DeviceCredentials } from './credentials.js';
import type { DeviceChannel, DeviceLink } from './device.js';
import { encodeReadings, type WireReading } from './encode.js';
import { measurementSource, raisesAlert, type MeasurementSource } from './generators/index.js';
import type { Random } from './random.js';
import { deviceZone, isoWithOffset } from './time.js';

/** One message a device is about to publish, with what the simulator expects of it. */
export interface Outgoing {
  readonly channel: DeviceChannel;
  readonly payload: Buffer;
  /** Values the gateway should store from it, one row each (0 for status, faults and re-publishes). */
  readonly values: number;
  /** Readings in it that cross one of the profile's alert thresholds. */
  readonly alerting: number;
  /** An exact re-publish of an earlier message. */
  readonly duplicate: boolean;
}

/** Share of uploads that are a status report (battery, signal, firmware) rather than readings. */
const STATUS_RATE = 0.05;
const FIRMWARE = ['1.4.2', '2.0.1', '2.1.0'] as const;

/**
 * A simulated device: its credentials and profile, its measurement stream, its message ids and
 * its copy of the gateway's rate allowance. It builds messages; `link` carries them.
 */
export class SimulatedDevice {
  readonly allowance: Allowance;
  private readonly source: MeasurementSource;
  private seq = 0;
  private batteryPct: number;
  private readonly signalDbm: number;
  private readonly firmware: string;

  constructor(
    readonly credentials: DeviceCredentials,
    readonly profile: DeviceProfile,
    readonly link: DeviceLink,
    private readonly random: Random,
    /** Makes message ids unique across runs, so a second run with the same devices is not taken for re-sends. */
    private readonly runTag: string,
    clock: Clock,
    /**
     * A device registered for this run finds the gateway's bucket full. One used in an earlier run
     * (read from a credentials file) may have spent it, and the gateway remembers buckets across
     * runs: its copy starts empty, so regular traffic never runs ahead of the gateway's.
     */
    { allowanceStartsFull = true }: { readonly allowanceStartsFull?: boolean } = {},
  ) {
    this.allowance = new Allowance(profile.maxMessagesPerMinute, clock, allowanceStartsFull ? profile.maxMessagesPerMinute : 0);
    this.source = measurementSource(profile, random.fork('measurements'));
    this.batteryPct = random.int(45, 100);
    this.signalDbm = random.int(-85, -50);
    this.firmware = random.pick(FIRMWARE);
  }

  get id(): string {
    return this.credentials.deviceId;
  }

  /** The next regular upload: mostly readings, now and then a status report. */
  nextUpload(nowMs: number): Outgoing {
    return this.random.chance(STATUS_RATE) ? this.status(nowMs) : this.readings(this.freshReadings(nowMs), nowMs);
  }

  /** New measurements with new message ids. */
  freshReadings(nowMs: number): WireReading[] {
    return this.source.next(nowMs).map((m) => ({ ...m, messageId: this.nextMessageId() }));
  }

  /** A readings message the gateway should store in full. */
  readings(readings: readonly WireReading[], nowMs: number): Outgoing {
    return {
      channel: 'readings',
      payload: this.encode(readings, nowMs),
      values: readings.reduce((n, r) => n + Object.keys(r.values).length, 0),
      alerting: readings.filter((r) => raisesAlert(this.profile, r.values)).length,
      duplicate: false,
    };
  }

  /** Readings in this device's payload shape, as bytes. */
  encode(readings: readonly WireReading[], nowMs: number): Buffer {
    return Buffer.from(JSON.stringify(encodeReadings(this.profile, readings, nowMs)));
  }

  nextMessageId(): string {
    this.seq += 1;
    return `${this.runTag}-${this.seq}`;
  }

  private status(nowMs: number): Outgoing {
    this.batteryPct = Math.max(5, this.batteryPct - this.random.between(0, 0.5));
    const body = {
      batteryPct: Math.round(this.batteryPct),
      signalDbm: Math.round(this.random.normal(this.signalDbm, 3)),
      firmware: this.firmware,
      deviceTime: isoWithOffset(nowMs, deviceZone(this.profile)),
    };
    return { channel: 'status', payload: Buffer.from(JSON.stringify(body)), values: 0, alerting: 0, duplicate: false };
  }
}
