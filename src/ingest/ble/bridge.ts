import { backoffMs, IssueCode, issue, type Clock, type Issue } from '../../domain/index.js';
import type { Logger } from '../../observability/index.js';
import type { DeviceContext, IngestOutcome } from '../../pipeline/index.js';
import type { BleSpec } from '../../profiles/index.js';
import { canonicalValues, decoderFor, type CharacteristicId } from './gatt/index.js';
import { within, type BleLink, type BleStack } from './port.js';
import { addToWall, currentTime, measuredAt } from './time.js';

/** A registered Bluetooth device and what its profile says about talking to it. */
export interface BleDevice {
  readonly context: DeviceContext;
  readonly address: string;
  readonly ble: BleSpec;
}

/** Where decoded readings go: the same pipeline as MQTT. */
export interface BleIngest {
  /** A canonical reading payload (JSON), validated, deduplicated, stored. */
  reading(device: DeviceContext, source: string, payload: Buffer): Promise<IngestOutcome>;
  /** Bytes that did not decode: one rejection, kept as a dead letter. */
  reject(device: DeviceContext, source: string, payload: Buffer, issues: Issue[]): Promise<IngestOutcome>;
}

/** The last stored-record sequence number fetched from each device. */
export interface RecordCursors {
  get(deviceId: string): number | undefined;
  set(deviceId: string, lastSequence: number): void;
}

export interface BleBridgeOptions {
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  /** Longest wait for the Record Access Control Point's answer. */
  readonly racpTimeoutMs: number;
  /** How often the device list is re-read (devices added or revoked from the command line). */
  readonly refreshMs: number;
}

export interface BleDeviceStatus {
  readonly deviceId: string;
  readonly address: string;
  readonly connected: boolean;
  readonly lastReadingAtMs: number | undefined;
  readonly failures: number;
}

export interface BleBridgeStatus {
  readonly adapter: string | undefined;
  readonly devices: readonly BleDeviceStatus[];
}

/** Glucose service characteristics [GATT 2A52 Record Access Control Point]. */
const RACP = '2A52';
const CURRENT_TIME_SERVICE = '1805';
const CURRENT_TIME = '2A2B';
/** [Glucose Service §4.10] op codes and operators. */
const REPORT_STORED_RECORDS = 0x01;
const RESPONSE_CODE = 0x06;
const ALL_RECORDS = 0x01;
const GREATER_OR_EQUAL = 0x03;
const FILTER_SEQUENCE_NUMBER = 0x01;
const SUCCESS = 0x01;
const NO_RECORDS = 0x06;

/**
 * The BLE bridge: keeps a connection to each registered Bluetooth device, subscribes to the
 * characteristics its profile names, decodes each value and hands it to the same pipeline as MQTT
 * readings (validation, idempotency, storage, outputs, rejections). Devices that keep records are
 * asked for those past the last sequence number fetched. A device that walks away is reconnected
 * with back-off; every stack call has a timeout.
 */
export class BleBridge {
  private readonly sessions = new Map<string, Session>();
  private adapter: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly stack: BleStack,
    private readonly devices: () => readonly BleDevice[],
    private readonly ingest: BleIngest,
    private readonly cursors: RecordCursors,
    private readonly clock: Clock,
    private readonly options: BleBridgeOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.adapter = await this.stack.powerOn();
    this.log.info({ adapter: this.adapter }, 'BLE bridge started');
    this.refresh();
    this.timer = setInterval(() => this.refresh(), this.options.refreshMs).unref();
  }

  /** Starts sessions for new devices, ends those of devices revoked or re-addressed. */
  refresh(): void {
    if (this.stopped) return;
    const wanted = new Map(this.devices().map((d) => [`${d.context.deviceId}|${d.address}`, d]));
    for (const [key, session] of this.sessions) {
      if (!wanted.has(key)) {
        this.sessions.delete(key);
        void session.stop();
      }
    }
    for (const [key, device] of wanted) {
      if (this.sessions.has(key)) continue;
      const session = new Session(device, this.stack, this.ingest, this.cursors, this.clock, this.options, this.log.child({ deviceId: device.context.deviceId }));
      this.sessions.set(key, session);
      session.run();
    }
  }

  status(): BleBridgeStatus {
    return { adapter: this.adapter, devices: [...this.sessions.values()].map((s) => s.status()) };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all([...this.sessions.values()].map((s) => s.stop()));
    this.sessions.clear();
  }
}

/** One device: connect, subscribe, download, wait for the link to drop, back off, again. */
class Session {
  private stopped = false;
  private wake: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();
  private link: BleLink | undefined;
  private failures = 0;
  private lastReadingAtMs: number | undefined;
  /** Values are handled one at a time, in the order they arrived. */
  private chain: Promise<unknown> = Promise.resolve();
  /** The device's clock at connect (Current Time) and when it was read. */
  private clockRead: { wall: string; atMs: number } | undefined;
  private highestSequence: number | undefined;
  /** The lowest sequence number of a stored record that failed to store in this download. */
  private failedSequence: number | undefined;

  constructor(
    private readonly device: BleDevice,
    private readonly stack: BleStack,
    private readonly ingest: BleIngest,
    private readonly cursors: RecordCursors,
    private readonly clock: Clock,
    private readonly options: BleBridgeOptions,
    private readonly log: Logger,
  ) {}

  run(): void {
    this.running = this.loop();
  }

  status(): BleDeviceStatus {
    return { deviceId: this.device.context.deviceId, address: this.device.address, connected: this.link !== undefined, lastReadingAtMs: this.lastReadingAtMs, failures: this.failures };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.link?.disconnect().catch(() => undefined);
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.connected(await this.stack.connect(this.device.address));
      } catch (error) {
        this.failures += 1;
        this.log.warn({ address: this.device.address, failures: this.failures, err: error instanceof Error ? error.message : String(error) }, 'BLE device not reachable: retrying');
      }
      if (this.stopped) break;
      // Exponential back-off with jitter; a connection that came up starts again from the base.
      await this.sleep(backoffMs(this.failures, { baseMs: this.options.reconnectBaseMs, maxMs: this.options.reconnectMaxMs }, Math.random));
    }
  }

  private async connected(link: BleLink): Promise<void> {
    this.link = link;
    const { ble } = this.device;
    try {
      this.failures = 0;
      this.clockRead = undefined;
      if (ble.currentTime) {
        const wall = currentTime(await link.read(CURRENT_TIME_SERVICE, CURRENT_TIME).catch(() => new Uint8Array()));
        if (wall !== undefined) this.clockRead = { wall, atMs: this.clock.now() };
      }
      for (const m of ble.measurements) await link.subscribe(ble.service, m.characteristic, (bytes) => this.received(m.characteristic, m.metrics, bytes));
      this.log.info({ address: this.device.address }, 'BLE device connected');
      if (ble.storedRecords) await this.download(link);
      await link.closed;
      this.log.info({ address: this.device.address }, 'BLE device disconnected');
    } finally {
      this.link = undefined;
      await link.disconnect().catch(() => undefined);
    }
  }

  /**
   * Asks for the records past the last one fetched [Glucose Service RACP: report stored records,
   * operator "greater than or equal to", filter sequence number], waits for the answer, and moves
   * the cursor once every record it sent is stored.
   */
  private async download(link: BleLink): Promise<void> {
    const { service } = this.device.ble;
    const last = this.cursors.get(this.device.context.deviceId);
    let answer: (code: number) => void = () => undefined;
    const answered = new Promise<number>((resolve) => (answer = resolve));
    await link.subscribe(service, RACP, (bytes) => {
      if (bytes[0] === RESPONSE_CODE && bytes[2] === REPORT_STORED_RECORDS) answer(bytes[3] as number);
    });
    const from = last === undefined ? undefined : last + 1;
    const request = from === undefined ? [REPORT_STORED_RECORDS, ALL_RECORDS] : [REPORT_STORED_RECORDS, GREATER_OR_EQUAL, FILTER_SEQUENCE_NUMBER, from & 0xff, (from >> 8) & 0xff];
    this.highestSequence = undefined;
    this.failedSequence = undefined;
    await link.write(service, RACP, Uint8Array.from(request));
    const code = await within(answered, this.options.racpTimeoutMs, 'Record Access Control Point answer');
    await this.chain;
    if (code !== SUCCESS && code !== NO_RECORDS) this.log.warn({ code }, 'stored records: the device refused the request');
    // The cursor moves only past records that were stored: one that failed is asked for again on the
    // next connection (with those after it, which are then duplicates: each record is stored once).
    const storedUpTo = this.failedSequence === undefined ? this.highestSequence : this.failedSequence - 1;
    if (storedUpTo !== undefined && (last === undefined || storedUpTo > last)) this.cursors.set(this.device.context.deviceId, storedUpTo);
    if (this.failedSequence !== undefined) this.log.warn({ from: from ?? 0, failed: this.failedSequence }, 'a stored record failed to store: it is fetched again next time');
    this.log.info({ from: from ?? 0, to: this.highestSequence, code }, 'stored records fetched');
  }

  private received(characteristic: CharacteristicId, metrics: Readonly<Record<string, string>>, bytes: Uint8Array): void {
    const receivedAtMs = this.clock.now();
    this.chain = this.chain.then(() => this.handle(characteristic, metrics, bytes, receivedAtMs)).catch((error: unknown) => {
      // The store failed: the value is lost to this connection; a device that keeps records sends it again.
      this.log.error({ err: error instanceof Error ? error.message : String(error) }, 'BLE reading not stored');
    });
  }

  private async handle(characteristic: CharacteristicId, metrics: Readonly<Record<string, string>>, bytes: Uint8Array, receivedAtMs: number): Promise<void> {
    const { context, address } = this.device;
    const source = `ble/${address}/${characteristic}`;
    const decoded = decoderFor(characteristic)?.(bytes) ?? { ok: false as const, error: [issue(IssueCode.PayloadInvalid, '', `no decoder for ${characteristic}`)] };
    if (!decoded.ok) {
      this.log.warn({ characteristic, issues: decoded.error.map((i) => i.code) }, 'BLE value rejected');
      await this.ingest.reject(context, source, Buffer.from(bytes), decoded.error);
      return;
    }
    const value = decoded.value as Record<string, unknown>;
    const { values, units } = canonicalValues(characteristic, value, metrics);
    const takenAt = measuredAt(value) ?? new Date(receivedAtMs).toISOString();
    const sequence = typeof value['sequenceNumber'] === 'number' ? value['sequenceNumber'] : undefined;
    const payload = {
      // A record's identity on the device: its sequence number (with its time: a reset meter counts from 0 again).
      ...(sequence !== undefined ? { messageId: `${address}#${sequence}@${takenAt}` } : {}),
      takenAt,
      // The device's clock now, from Current Time read at connect: the pipeline measures the offset.
      ...(this.clockRead !== undefined ? { deviceTime: addToWall(this.clockRead.wall, receivedAtMs - this.clockRead.atMs) } : {}),
      values,
      units,
    };
    let outcome: Awaited<ReturnType<typeof this.ingest.reading>>;
    try {
      outcome = await this.ingest.reading(context, source, Buffer.from(JSON.stringify(payload)));
    } catch (error) {
      if (sequence !== undefined) this.failedSequence = Math.min(this.failedSequence ?? sequence, sequence);
      throw error;
    }
    if (outcome.accepted + outcome.duplicates > 0) this.lastReadingAtMs = receivedAtMs;
    if (sequence !== undefined) this.highestSequence = Math.max(this.highestSequence ?? sequence, sequence);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
