/**
 * The FHIR output's delivery: Observations per second to a FHIR server's indexed write path
 * (bench/fhir-server.ts) in transactions of `fhir.batchSize` entries against one request per
 * Observation, and the time to drain an outbox of 10,000 Observations after an outage — through
 * the gateway's own sender: outbox reads, validation, Bundles, HTTP, results committed to SQLite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledProfilesDir, ConfigSchema } from '../src/config/index.js';
import { systemClock, type Reading } from '../src/domain/index.js';
import { createLogger } from '../src/observability/index.js';
import { FHIR_SINK, FhirClient, FhirDelivery, fhirOutputSender, fhirPlanner, FhirValidator, noAuth } from '../src/outputs/fhir/index.js';
import { CommitQueue } from '../src/pipeline/index.js';
import { loadProfiles } from '../src/profiles/index.js';
import { SqliteStore } from '../src/store/sqlite/index.js';
import { BenchFhirServer } from './fhir-server.js';
import { int } from './format.js';
import { progress } from './progress.js';

/** Two patients, 50 devices each. */
const PATIENTS = ['9434765919', '4010232137'] as const;
const log = createLogger({ level: 'silent' });

export interface DeliveryRate {
  readonly observations: number;
  readonly requests: number;
  readonly seconds: number;
  readonly perS: number;
}

export interface FhirBenchResult {
  readonly batchSize: number;
  readonly batched: DeliveryRate;
  readonly single: DeliveryRate;
  readonly drain: DeliveryRate & { readonly backlog: number; readonly stored: number; readonly ok: boolean };
}

/** `readings` BP readings (2 Observations each) of 100 devices, as the FHIR planner plans them at ingest. */
function plannedLines(readings: number): string[] {
  const profile = loadProfiles(bundledProfilesDir()).get('bp-upper-arm');
  if (profile === undefined) throw new Error('the bp-upper-arm profile is missing');
  const plan = fhirPlanner({ id: 'bench', version: '0' });
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  const lines: string[] = [];
  for (let i = 0; i < readings; i++) {
    const deviceId = `bench-${i % 100}`;
    const patientNhs = PATIENTS[i % 2] as string;
    const base = { deviceId, patientNhs, profileId: profile.id, deviceTakenAtMs: t0 + i * 1000, takenAtMs: t0 + i * 1000, receivedAtMs: t0 + i * 1000, clockOffsetMs: undefined, messageId: `m${i}` };
    const reading: Reading = {
      ...base,
      idempotencyKey: `${i}`,
      payloadSha256: undefined,
      values: [
        { metric: 'systolic', value: 110 + (i % 60), unit: 'mm[Hg]', sourceUnit: undefined },
        { metric: 'diastolic', value: 70 + (i % 30), unit: 'mm[Hg]', sourceUnit: undefined },
        { metric: 'pulse', value: 55 + (i % 40), unit: '/min', sourceUnit: undefined },
      ],
    };
    for (const e of plan({ deviceId, patientNhs, profile }, reading, Buffer.from(`payload ${i}`))) lines.push(e.payload);
  }
  return lines;
}

async function deliveryRate(validator: FhirValidator, lines: readonly string[], batchSize: number, perObservation: boolean): Promise<DeliveryRate> {
  const server = new BenchFhirServer();
  const url = await server.start();
  const client = new FhirClient({ baseUrl: url, timeoutMs: 30_000, auth: noAuth });
  try {
    const delivery = new FhirDelivery(client, validator, batchSize, log);
    const started = performance.now();
    let observations = 0;
    const step = perObservation ? 1 : 100;
    for (let i = 0; i < lines.length; i += step) {
      observations += (await delivery.deliver([{ id: i, payload: lines.slice(i, i + step).join('\n'), items: step }])).delivered;
    }
    const seconds = (performance.now() - started) / 1000;
    return { observations, requests: server.requests, seconds, perS: observations / seconds };
  } finally {
    client.close();
    await server.stop();
  }
}

/** 10,000 Observations queued while the server was away, then drained by the gateway's sender. */
async function drainRate(lines: readonly string[], batchSize: number): Promise<FhirBenchResult['drain']> {
  const dir = mkdtempSync(join(tmpdir(), 'vg-bench-fhir-'));
  const store = new SqliteStore(join(dir, 'gateway.db'));
  const queue = new CommitQueue(store.readings, 5_000);
  const server = new BenchFhirServer();
  try {
    // As ingest queues them: one outbox row per group commit (here 50 readings, 100 Observations).
    for (let i = 0; i < lines.length; i += 100) {
      await queue.submit({ readings: [], deadLetters: [], health: [], outbox: lines.slice(i, i + 100).map((payload) => ({ sink: FHIR_SINK, payload, firstReading: 0, readingCount: 0 })) });
    }
    const backlog = store.outbox.stats(FHIR_SINK).pending;
    const url = await server.start();
    const config = ConfigSchema.parse({ fhir: { url, batchSize, flushIntervalMs: 10 } }).fhir;
    // The gateway's own sender (its validator compiled before the clock starts).
    const { sender, close } = fhirOutputSender({ ...config, url }, store.outbox, (outboxResults) => queue.submit({ readings: [], deadLetters: [], health: [], outboxResults }), systemClock, { outboxDelivered: () => {}, outboxFailed: () => {} }, log);
    const started = performance.now();
    while (store.outbox.stats(FHIR_SINK).pending > 0 && performance.now() - started < 300_000) await sender.tick();
    const seconds = (performance.now() - started) / 1000;
    await sender.stop();
    close();
    const stored = server.count('Observation');
    return { backlog, observations: backlog, requests: server.requests, seconds, perS: backlog / seconds, stored, ok: stored === backlog && store.outbox.stats(FHIR_SINK).pending === 0 };
  } finally {
    await server.stop();
    await queue.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchFhir(): Promise<FhirBenchResult> {
  const batchSize = ConfigSchema.parse({}).fhir.batchSize;
  progress('FHIR: compiling the R4 schema');
  const validator = new FhirValidator();
  validator.warm();
  const lines = plannedLines(2_000);
  progress(`FHIR: ${lines.length} Observations in transactions of ${batchSize} entries`);
  const batched = await deliveryRate(validator, lines, batchSize, false);
  progress(`FHIR: ${lines.length} Observations one request each`);
  const single = await deliveryRate(validator, lines, batchSize, true);
  progress('FHIR: draining an outbox of 10,000 Observations');
  const drain = await drainRate(plannedLines(5_000), batchSize);
  return { batchSize, batched, single, drain };
}

export function formatFhir(r: FhirBenchResult): string {
  const line = (label: string, text: string): string => `  ${label.padEnd(42)}${text}`;
  return [
    'FHIR output (the gateway\'s sender → an indexed FHIR transaction endpoint)',
    line(`Observations/s, ${r.batchSize}-entry transactions`, `${int(r.batched.perS)} (${int(r.batched.observations)} in ${r.batched.requests} requests, ${r.batched.seconds.toFixed(2)} s)`),
    line('Observations/s, one request each', `${int(r.single.perS)} (${int(r.single.observations)} in ${r.single.requests} requests, ${r.single.seconds.toFixed(2)} s)`),
    line('batching speed-up', `×${(r.batched.perS / r.single.perS).toFixed(1)}`),
    line(`drain ${int(r.drain.backlog)} queued after an outage`, `${r.drain.seconds.toFixed(2)} s (${int(r.drain.perS)}/s, ${r.drain.requests} requests); stored once each: ${r.drain.ok ? 'OK' : `MISMATCH (${int(r.drain.stored)})`}`),
  ].join('\n');
}
