import type { MqttClient } from 'mqtt';
import type { DeviceCredentials } from '../../src/devices/index.js';
import { connectDevice } from '../connect.js';
import { readingsTopic } from '../devices.js';
import { Histogram, type HistogramEntries } from '../histogram.js';

/** How long `finish` waits for the last PUBACKs before it reports them as missing. */
const DRAIN_TIMEOUT_MS = 10_000;
const QOS1 = { qos: 1 } as const;

/** What a load worker is told to do. */
export interface LoadSetup {
  readonly url: string;
  readonly devices: readonly DeviceCredentials[];
  /** QoS 1 publishes each client keeps in flight. */
  readonly window: number;
}

/** What a load worker measured. */
export interface LoadReport {
  /** Every PUBACK received, warm-up and drain included (each stands for one stored reading). */
  readonly acked: number;
  /** PUBACKs received between `measure` and `finish`. */
  readonly measuredAcks: number;
  readonly measuredMs: number;
  /** Publish→PUBACK latency of the measured PUBACKs. */
  readonly latency: HistogramEntries;
  readonly errors: readonly string[];
}

/** A simulated device's connection. */
interface Sender {
  readonly client: MqttClient;
  readonly deviceId: string;
}

/**
 * Drives a share of the simulated devices: each client keeps `window` QoS 1 readings in flight and
 * publishes the next one when a PUBACK arrives. Phases: warm-up (`start`), measured (`measure`),
 * then drain (`finish` stops new publishes and waits for the outstanding PUBACKs).
 *
 * The publishes a client owes after one turn of the event loop (its PUBACKs arrive together, one
 * commit's worth) leave in one socket write, as a device sending its backlog sends them. mqtt.js
 * handles each incoming packet in a tick of its own and writes each publish at once: a system call
 * per reading would make the load generator, which shares the machine with the broker measured,
 * spend about twice the CPU (docs/benchmarks.md).
 */
export class Publisher {
  private clients: Sender[] = [];
  /** Publishes owed per client since the last flush, sent together at the end of the turn. */
  private readonly owed = new Map<Sender, number>();
  private flushScheduled = false;
  private phase: 'idle' | 'warmup' | 'measure' | 'drain' = 'idle';
  private window = 1;
  private seq = 0;
  private inflight = 0;
  private acked = 0;
  private measuredAcks = 0;
  private measureStartedAt = 0;
  private readonly latency = new Histogram();
  private readonly errors: string[] = [];
  private onDrained: (() => void) | undefined;
  private takenAt = recentTimestamp();
  private readonly clockTimer = setInterval(() => (this.takenAt = recentTimestamp()), 1_000);

  async connect(setup: LoadSetup): Promise<number> {
    this.window = setup.window;
    this.clients = await Promise.all(
      setup.devices.map(async (device) => {
        const client = await connectDevice(setup.url, device, { quiet: true });
        client.on('error', (error) => this.fail(`${device.deviceId}: ${error.message}`));
        return { client, deviceId: device.deviceId };
      }),
    );
    return this.clients.length;
  }

  start(): void {
    this.phase = 'warmup';
    for (const sender of this.clients) this.owed.set(sender, this.window);
    this.flush();
  }

  measure(): void {
    this.phase = 'measure';
    this.measureStartedAt = performance.now();
  }

  async finish(): Promise<LoadReport> {
    const measuredMs = performance.now() - this.measureStartedAt;
    const measuredAcks = this.measuredAcks;
    this.phase = 'drain';
    if (this.inflight > 0) {
      const drained = new Promise<void>((resolve) => (this.onDrained = resolve));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS)));
      await Promise.race([drained, timeout]);
      clearTimeout(timer);
      if (this.inflight > 0) this.fail(`${this.inflight} publishes still unacknowledged after ${DRAIN_TIMEOUT_MS} ms`);
    }
    return { acked: this.acked, measuredAcks, measuredMs, latency: this.latency.entries(), errors: this.errors };
  }

  async close(): Promise<void> {
    clearInterval(this.clockTimer);
    await Promise.all(this.clients.map(({ client }) => client.endAsync()));
  }

  /** Sends what each client owes, each client's publishes corked into one socket write. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.phase !== 'warmup' && this.phase !== 'measure') return this.owed.clear();
    for (const [sender, count] of this.owed) {
      const stream = sender.client.stream;
      stream.cork();
      for (let i = 0; i < count; i++) this.send(sender);
      // After mqtt-packet's own uncork of each packet, also deferred to the next tick.
      process.nextTick(() => stream.uncork());
    }
    this.owed.clear();
  };

  private send(sender: Sender): void {
    const { client, deviceId } = sender;
    const payload = `{"messageId":"${deviceId}-${this.seq++}","takenAt":"${this.takenAt}","values":{"systolic":128,"diastolic":82,"pulse":71}}`;
    const sentAt = performance.now();
    this.inflight += 1;
    client.publish(readingsTopic(deviceId), payload, QOS1, (error) => {
      this.inflight -= 1;
      if (error) this.fail(`${deviceId}: ${error.message}`);
      else this.acknowledged(performance.now() - sentAt);
      if (this.phase === 'warmup' || this.phase === 'measure') this.owe(sender);
      else if (this.inflight === 0) this.onDrained?.();
    });
  }

  private owe(sender: Sender): void {
    this.owed.set(sender, (this.owed.get(sender) ?? 0) + 1);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  private acknowledged(latencyMs: number): void {
    this.acked += 1;
    if (this.phase !== 'measure') return;
    this.measuredAcks += 1;
    this.latency.record(latencyMs);
  }

  private fail(message: string): void {
    if (this.errors.length < 20) this.errors.push(message);
  }
}

/** A reading time a minute in the past, ISO 8601 with an explicit UTC offset. */
function recentTimestamp(): string {
  return new Date(Date.now() - 60_000).toISOString().replace('Z', '+00:00');
}
