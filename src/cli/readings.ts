import { GatewayError, parseNhsNumber } from '../domain/index.js';
import { SqliteStore } from '../store/sqlite/index.js';
import { commandConfig, type GlobalOptions } from './context.js';
import { isoTime, stdout } from './output.js';

export interface ReadingsOptions {
  readonly patient: string;
  readonly metric?: string | undefined;
  readonly since?: string | undefined;
  readonly limit?: number | undefined;
  readonly json?: boolean | undefined;
}

/** `vitals-gateway readings --patient <nhs>`: stored readings, oldest first. */
export function readings(global: GlobalOptions, o: ReadingsOptions): void {
  const nhs = parseNhsNumber(o.patient);
  if (!nhs.ok) throw new GatewayError('GW_NHS_NUMBER_INVALID', `--patient: ${nhs.error}`);
  const sinceMs = o.since === undefined ? undefined : Date.parse(o.since);
  if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw new GatewayError('GW_CONFIG_INVALID', `--since: "${o.since}" is not a date`);
  const store = new SqliteStore(commandConfig(global).dbFile);
  try {
    const rows = store.readings
      .query({ patientNhs: nhs.value, metric: o.metric, sinceMs, limit: o.limit })
      .map((r) => ({
        id: r.id,
        takenAt: isoTime(r.takenAtMs),
        metric: r.metric,
        value: r.value,
        unit: r.unit,
        device: r.deviceId,
        receivedAt: isoTime(r.receivedAtMs),
        ...(o.json ? { deviceTakenAt: isoTime(r.deviceTakenAtMs), clockOffsetMs: r.clockOffsetMs, sourceUnit: r.sourceUnit, messageId: r.messageId, idempotencyKey: r.idempotencyKey } : {}),
      }));
    if (o.json) stdout.json(rows);
    else stdout.table(rows, 'no readings');
  } finally {
    store.close();
  }
}
