import { GatewayError } from '../domain/index.js';
import { outputPlanner } from '../outputs/planner.js';
import { planCorrection } from '../pipeline/index.js';
import { loadProfiles } from '../profiles/index.js';
import { cliActor, patientOption, withAnyStore, type GlobalOptions } from './context.js';
import { isoTime, stdout } from './output.js';

export interface ReadingsOptions {
  readonly patient?: string | undefined;
  readonly metric?: string | undefined;
  readonly since?: string | undefined;
  readonly limit?: number | undefined;
  readonly json?: boolean | undefined;
}

/** `vitals-gateway readings --patient <nhs>`: stored readings, oldest first. */
export async function readings(global: GlobalOptions, o: ReadingsOptions): Promise<void> {
  if (o.patient === undefined) throw new GatewayError('GW_CONFIG_INVALID', `--patient <nhs> is required`);
  const nhs = patientOption(o.patient);
  const sinceMs = o.since === undefined ? undefined : Date.parse(o.since);
  if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw new GatewayError('GW_CONFIG_INVALID', `--since: "${o.since}" is not a date`);
  await withAnyStore(global, async (store) => {
    const stored = await store.readings.query({ patientNhs: nhs, metric: o.metric, sinceMs, limit: o.limit });
    const rows = stored.map((r) => ({
      id: r.id,
      takenAt: isoTime(r.takenAtMs),
      metric: r.metric,
      value: r.value,
      unit: r.unit,
      device: r.deviceId,
      status: r.status,
      receivedAt: isoTime(r.receivedAtMs),
      ...(o.json ? { deviceTakenAt: isoTime(r.deviceTakenAtMs), clockOffsetMs: r.clockOffsetMs, sourceUnit: r.sourceUnit, messageId: r.messageId, idempotencyKey: r.idempotencyKey } : {}),
    }));
    if (o.json) stdout.json(rows);
    else stdout.table(rows, 'no readings');
  });
}

/**
 * `vitals-gateway readings retract <id>`: marks the reading holding row `id` (all its values)
 * entered in error, and queues the retraction for the outputs (FHIR: the Observation becomes
 * `entered-in-error`), in one transaction. A running gateway sends it.
 */
export async function readingsRetract(global: GlobalOptions, id: number, o: { reason?: string | undefined; json?: boolean | undefined }): Promise<void> {
  await withAnyStore(global, async (store, config) => {
    const rows = await store.readings.readingOf(id);
    const first = rows[0];
    if (first === undefined) throw new GatewayError('GW_READING_UNKNOWN', `no stored reading has id ${id}`);
    const profile = loadProfiles(config.profilesDir).get(first.profileId);
    if (profile === undefined) throw new GatewayError('GW_PROFILE_UNKNOWN', `profile ${first.profileId} of reading ${id} is not loaded`);
    const request = { action: 'retract' as const, reason: o.reason, requestedBy: cliActor() };
    const planned = planCorrection(profile, rows, request, Date.now());
    if (!planned.ok) throw new GatewayError('GW_CORRECTION_INVALID', planned.error.map((i) => i.message).join('; '));
    const { correction, corrected, original, status, unchanged } = planned.value;
    const device = { deviceId: first.deviceId, patientNhs: first.patientNhs, profile, serial: (await store.devices.get(first.deviceId))?.serial };
    const payload = Buffer.from(JSON.stringify({ retract: id, reason: o.reason ?? null, by: request.requestedBy }));
    // On PostgreSQL the workers share the pseudonym key: it is read, never made here.
    const outputs = outputPlanner(config, { create: config.store.postgres === undefined });
    const outbox = unchanged ? [] : outputs(device, corrected, payload, { status, original }).map((e) => ({ ...e, firstReading: 0, readingCount: 0 }));
    if (!unchanged) await store.readings.commit({ readings: [], deadLetters: [], health: [], outbox, corrections: [correction] });
    const result = { id, values: rows.length, status: 'entered-in-error', alreadyRetracted: unchanged, queued: outbox.map((e) => e.sink) };
    if (o.json) stdout.json(result);
    else stdout.line(unchanged ? `reading ${id} was already retracted` : `reading ${id} retracted (${rows.length} values)${outbox.length > 0 ? `; queued for ${[...new Set(result.queued)].join(', ')}` : ''}`);
  });
}
