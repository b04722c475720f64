/**
 * Clinician alerts: publish→alert-delivered latency with 1,000 devices sending 1,000 readings/s in
 * all (paced, not saturating), every reading changing an alert — a severe BP opens one, the next
 * normal one resolves it — measured at the clinician's MQTT client from the device's publish to
 * the alert's arrival. The gateway is the real one in its own process (rules engine, group commit,
 * alert outbox, QoS 1 to `clinicians/<id>/alerts`); devices and clinician run here, on one clock.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { connectDevice } from './connect.js';
import { readingsTopic } from './devices.js';
import { Histogram } from './histogram.js';
import { check, int, percent, verdict } from './format.js';
import { progress } from './progress.js';
import { startBroker, TARGETS, type TargetResult } from './target.js';
import { median, storedRows, summarizeTarget } from './results.js';
import { mapLimit } from '../simulators/concurrency.js';

/** Connections opened at once: on the gateway each waits for a scrypt check. */
const CONNECT_CONCURRENCY = 32;
/** How often the pacer tops publishes up to the rate. */
const PACE_MS = 5;
/** How long the last alerts may take to arrive before they count as missing. */
const DRAIN_TIMEOUT_MS = 10_000;

export interface AlertBenchOptions {
  readonly devices: number;
  readonly readingsPerS: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  /** Webhook receivers (a clinician each, the patients shared out), of which `webhooksDown` refuse connections. */
  readonly webhooks?: number;
  readonly webhooksDown?: number;
}

export const ALERT_BENCH_DEFAULTS: AlertBenchOptions = { devices: 1_000, readingsPerS: 1_000, warmupMs: 5_000, measureMs: 20_000 };

export interface AlertBenchResult {
  readonly devices: number;
  readonly readingsPerS: number;
  /** Readings published while measured, and the alerts they caused that arrived. */
  readonly measured: number;
  readonly delivered: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Alerts that never arrived, arrived twice or in the wrong state; publish errors. */
  readonly missing: number;
  readonly unexpected: number;
  readonly errors: readonly string[];
  readonly ok: boolean;
  /** With webhook receivers: publish → POST received at the working ones, and what they missed. */
  readonly webhooks?: { readonly receivers: number; readonly down: number; readonly delivered: number; readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number; readonly missing: number };
}

/** Webhook receivers on loopback, recording when each device's alert change arrived; `down` of them a port nothing listens on. */
async function webhookReceivers(count: number, down: number, arrived: (device: string, state: string) => void): Promise<{ urls: string[]; downIndexes: Set<number>; close: () => Promise<void> }> {
  const servers: Server[] = [];
  const urls: string[] = [];
  const downIndexes = new Set<number>();
  for (let j = 0; j < count; j++) {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const alert = JSON.parse(body) as { device: string; state: string };
        arrived(alert.device, alert.state);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`);
    if (j < down) {
      downIndexes.add(j);
      await new Promise<void>((r) => server.close(() => r())); // the port stays free: connections refused
    } else servers.push(server);
  }
  return { urls, downIndexes, close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined) };
}

type Pending = { readonly sentAt: number; readonly state: 'open' | 'resolved'; readonly measured: boolean };

export async function benchAlerts(options: AlertBenchOptions = ALERT_BENCH_DEFAULTS): Promise<AlertBenchResult> {
  const hookCount = options.webhooks ?? 0;
  const hookPending = new Map<string, Pending[]>();
  const hookLatency = new Histogram();
  let hookOutstanding = 0;
  const hooks = await webhookReceivers(hookCount, options.webhooksDown ?? 0, (device, state) => {
    const arrivedAt = performance.now();
    const sent = hookPending.get(device)?.shift();
    if (sent === undefined || sent.state !== state) return;
    hookOutstanding -= 1;
    if (sent.measured) hookLatency.record(arrivedAt - sent.sentAt);
  });
  const webhookArgs = hookCount === 0 ? [] : ['--webhooks', hooks.urls.join(',')];
  progress(`alerts: starting the gateway and provisioning ${options.devices} devices and a clinician${hookCount === 0 ? '' : `, ${hookCount} webhook receivers (${options.webhooksDown ?? 0} down)`}`);
  const broker = await startBroker(TARGETS.gateway.script, ['--devices', String(options.devices), '--clinician', ...webhookArgs]);
  const clients: MqttClient[] = [];
  try {
    const { port, devices = [], clinician } = broker.ready;
    if (clinician === undefined) throw new Error('the gateway did not add a clinician');
    const url = `mqtt://127.0.0.1:${port}`;
    progress(`alerts: connecting ${devices.length} devices`);
    const connected = await mapLimit(devices, CONNECT_CONCURRENCY, (d) => connectDevice(url, d)); // in the devices' order
    clients.push(...connected);
    const inbox = await mqtt.connectAsync(url, { clientId: `clinician:${clinician.id}`, username: `clinician:${clinician.id}`, password: clinician.secret, reconnectPeriod: 0 });
    clients.push(inbox);

    const pending = new Map<string, Pending[]>(devices.map((d) => [d.deviceId, []]));
    const latency = new Histogram();
    let unexpected = 0;
    let outstanding = 0;
    let drained: (() => void) | undefined;
    inbox.on('message', (_topic, payload) => {
      const arrivedAt = performance.now();
      const alert = JSON.parse(payload.toString()) as { device: string; state: string };
      const sent = pending.get(alert.device)?.shift();
      if (sent === undefined || sent.state !== alert.state) {
        unexpected += 1;
        return;
      }
      outstanding -= 1;
      if (sent.measured) latency.record(arrivedAt - sent.sentAt);
      if (outstanding === 0) drained?.();
    });
    await inbox.subscribeAsync(`clinicians/${clinician.id}/alerts`, { qos: 1 });

    const errors: string[] = [];
    let published = 0;
    let measured = 0;
    let measuring = false;
    const seq = new Array<number>(devices.length).fill(0);
    const publishNext = (): void => {
      const i = published % devices.length;
      const deviceId = (devices[i] as { deviceId: string }).deviceId;
      const k = seq[i] ?? 0;
      seq[i] = k + 1;
      // Even readings open the severe-hypertension alert (systolic ≥180), odd ones resolve it (≤170).
      const severe = k % 2 === 0;
      const payload = `{"messageId":"${deviceId}-a${k}","takenAt":"${new Date().toISOString()}","values":{"systolic":${severe ? 186 : 150},"diastolic":${severe ? 96 : 85},"pulse":71}}`;
      pending.get(deviceId)?.push({ sentAt: performance.now(), state: severe ? 'open' : 'resolved', measured: measuring });
      // Patients are shared out among the webhook clinicians in order (i % receivers): only the working receivers' count.
      if (hookCount > 0 && !hooks.downIndexes.has(i % hookCount)) {
        const list = hookPending.get(deviceId) ?? [];
        hookPending.set(deviceId, list);
        list.push({ sentAt: performance.now(), state: severe ? 'open' : 'resolved', measured: measuring });
        hookOutstanding += 1;
      }
      outstanding += 1;
      published += 1;
      if (measuring) measured += 1;
      (connected[i] as MqttClient).publish(readingsTopic(deviceId), payload, { qos: 1 }, (error) => {
        if (error && errors.length < 20) errors.push(`${deviceId}: ${error.message}`);
      });
    };

    progress(`alerts: ${options.readingsPerS} readings/s (${options.warmupMs / 1000} s warm-up, ${options.measureMs / 1000} s measured)`);
    const startedAt = performance.now();
    const pacer = setInterval(() => {
      const due = Math.floor(((performance.now() - startedAt) * options.readingsPerS) / 1000);
      while (published < due) publishNext();
    }, PACE_MS);
    await new Promise((r) => setTimeout(r, options.warmupMs));
    measuring = true;
    await new Promise((r) => setTimeout(r, options.measureMs));
    clearInterval(pacer);
    if (outstanding > 0) {
      const timer = new Promise<void>((r) => setTimeout(r, DRAIN_TIMEOUT_MS).unref());
      await Promise.race([new Promise<void>((r) => (drained = r)), timer]);
    }
    for (let waited = 0; hookOutstanding > 0 && waited < DRAIN_TIMEOUT_MS; waited += 100) await new Promise((r) => setTimeout(r, 100));
    const missing = outstanding;
    const webhooks =
      hookCount === 0
        ? undefined
        : { receivers: hookCount, down: options.webhooksDown ?? 0, delivered: hookLatency.count, p50Ms: hookLatency.percentile(50), p99Ms: hookLatency.percentile(99), maxMs: hookLatency.percentile(100), missing: hookOutstanding };
    return {
      devices: devices.length,
      readingsPerS: options.readingsPerS,
      measured,
      delivered: latency.count,
      p50Ms: latency.percentile(50),
      p99Ms: latency.percentile(99),
      maxMs: latency.percentile(100),
      missing,
      unexpected,
      errors,
      ok: missing === 0 && unexpected === 0 && errors.length === 0 && (webhooks?.missing ?? 0) === 0,
      ...(webhooks === undefined ? {} : { webhooks }),
    };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await broker.close();
    await hooks.close();
  }
}

/** Target: alert p99 within 250 ms of the publish on this machine (reported, never enforced). */
export const ALERT_P99_GOAL_MS = 250;

/** One round of the rules' cost: the gateway with its rules off, then on, back to back. */
export interface RulesRound {
  readonly off: TargetResult;
  readonly on: TargetResult;
}

/** The rounds' ratios and their median; a run that lost or rejected a reading fails it. */
export function summarizeRules(rounds: readonly RulesRound[]): RulesCost {
  const ratios = rounds.map((round) => {
    const [off, on] = [summarizeTarget(round.off), summarizeTarget(round.on)];
    return { offPerS: off.messagesPerS, onPerS: on.messagesPerS, ratio: on.messagesPerS / off.messagesPerS, offCpuUs: off.brokerCpuUsPerMessage, onCpuUs: on.brokerCpuUsPerMessage };
  });
  const ok = rounds.every((r) => [r.off, r.on].every((run) => storedRows(run).ok && run.load.errors.length === 0));
  return { rounds: ratios, ratio: median(ratios.map((r) => r.ratio)), ok };
}

/** Target: the gateway with its rules on keeps at least this share of its throughput without them. */
export const RULES_RATIO_GOAL = 0.9;

/** The gateway's saturated QoS 1 throughput with the rules engine off and on, in rounds. */
export interface RulesCost {
  readonly rounds: readonly { readonly offPerS: number; readonly onPerS: number; readonly ratio: number; readonly offCpuUs: number; readonly onCpuUs: number }[];
  /** On ÷ off, the median of the rounds' ratios: the target. */
  readonly ratio: number;
  /** Every run stored every acknowledged reading and rejected none. */
  readonly ok: boolean;
}

export function formatAlerts(r: AlertBenchResult | undefined, rules: RulesCost | undefined, withHooks?: AlertBenchResult): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const latency =
    r === undefined
      ? ['  publish → alert delivered: skipped']
      : [
          `  publish → alert delivered: ${r.devices} devices, ${r.readingsPerS} readings/s paced, each opening or resolving an alert`,
          `    p50 ${ms(r.p50Ms)}  p99 ${ms(r.p99Ms)}  max ${ms(r.maxMs)}  (${int(r.delivered)} of ${int(r.measured)} measured)   target p99 < ${ALERT_P99_GOAL_MS} ms   ${verdict(r.p99Ms < ALERT_P99_GOAL_MS)}`,
          `    missing ${r.missing}, duplicated or out of order ${r.unexpected}${r.errors.length > 0 ? `, errors: ${r.errors.slice(0, 3).join('; ')}` : ''}   ${check(r.ok)}`,
        ];
  const h = withHooks?.webhooks;
  const hooked =
    withHooks === undefined || h === undefined
      ? []
      : [
          `  the same with ${h.receivers} webhook receivers (a clinician each), ${h.down} of them refusing connections:`,
          `    MQTT clinician: p50 ${ms(withHooks.p50Ms)}  p99 ${ms(withHooks.p99Ms)}  max ${ms(withHooks.maxMs)}   target p99 < ${ALERT_P99_GOAL_MS} ms   ${verdict(withHooks.p99Ms < ALERT_P99_GOAL_MS)}`,
          `    working webhooks: p50 ${ms(h.p50Ms)}  p99 ${ms(h.p99Ms)}  max ${ms(h.maxMs)}  (${int(h.delivered)} measured), missing ${h.missing}   ${check(withHooks.ok)}`,
        ];
  return [
    'Clinician alerts',
    ...latency,
    ...hooked,
    ...(rules === undefined
      ? ['  throughput rules on ÷ off: skipped']
      : [
          `  throughput rules on ÷ off: ${percent(rules.ratio)}${rules.rounds.length > 1 ? `, median of ${rules.rounds.length} rounds` : ''} (target ≥ ${RULES_RATIO_GOAL * 100}%)   ${verdict(rules.ratio >= RULES_RATIO_GOAL)}`,
          `    rounds, msgs/s off → on: ${rules.rounds.map((r) => `${int(r.offPerS)} → ${int(r.onPerS)} (${percent(r.ratio)})`).join(', ')}`,
          `    CPU per message off → on (µs): ${rules.rounds.map((r) => `${r.offCpuUs.toFixed(1)} → ${r.onCpuUs.toFixed(1)}`).join(', ')}`,
          `    saturated, readings within range: every value evaluated, none alerting   ${check(rules.ok)}`,
        ]),
  ].join('\n');
}
