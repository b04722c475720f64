/** Writing a benchmark's data straight into the store: devices and stored values, committed in batches. */
import { readingKey, readingsOf, type ReadingRow } from '../src/domain/index.js';
import type { SqliteStore } from '../src/store/sqlite/index.js';

/**
 * A stored reading's values as the pipeline would have made them (device clock right, received when
 * taken, no message id): `values` is metric → [value, unit]; the values share the reading's key.
 */
export function storedReading(deviceId: string, patientNhs: string, profileId: string, t: number, values: Readonly<Record<string, readonly [number, string]>>): ReadingRow[] {
  const idempotencyKey = readingKey({ deviceId, deviceTakenAtMs: t, messageId: undefined, values: Object.fromEntries(Object.entries(values).map(([m, [v]]) => [m, v])) });
  return Object.entries(values).map(([metric, [value, unit]]) => ({ idempotencyKey, deviceId, patientNhs, profileId, metric, value, unit, sourceUnit: undefined, deviceTakenAtMs: t, takenAtMs: t, receivedAtMs: t, clockOffsetMs: undefined, messageId: undefined }));
}

/** Values buffered and committed about `batch` at a time (whole readings); `total` counts what was committed. */
export function seeder(store: SqliteStore, batch: number): { add(...rows: ReadingRow[]): void; flush(): void; readonly total: number; device(id: string, profileId: string, patientNhs: string, createdAtMs: number): void } {
  let rows: ReadingRow[] = [];
  let total = 0;
  const flush = () => {
    if (rows.length > 0) store.readings.commit({ readings: readingsOf(rows), deadLetters: [], health: [] });
    total += rows.length;
    rows = [];
  };
  return {
    add(...more) {
      rows.push(...more);
      if (rows.length >= batch) flush();
    },
    flush,
    get total() {
      return total;
    },
    device(id, profileId, patientNhs, createdAtMs) {
      store.devices.insert({ id, profileId, patientNhs, serial: undefined, secretHash: 'x', status: 'active', createdAtMs, revokedAtMs: undefined, secretRotatedAtMs: undefined });
    },
  };
}
