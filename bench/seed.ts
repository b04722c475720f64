/** Writing a benchmark's data straight into the store: devices and stored values, committed in batches. */
import { readingKey, type ReadingRow } from '../src/domain/index.js';
import type { SqliteStore } from '../src/store/sqlite/index.js';

/** A stored value as the pipeline would have made it (device clock right, received when taken). */
export function storedValue(deviceId: string, patientNhs: string, profileId: string, metric: string, value: number, t: number, unit: string): ReadingRow {
  return { idempotencyKey: readingKey({ deviceId, deviceTakenAtMs: t, messageId: undefined, values: { [metric]: value } }), deviceId, patientNhs, profileId, metric, value, unit, sourceUnit: undefined, deviceTakenAtMs: t, takenAtMs: t, receivedAtMs: t, clockOffsetMs: undefined, messageId: undefined };
}

/** Values buffered and committed `batch` at a time; `total` counts what was committed. */
export function seeder(store: SqliteStore, batch: number): { add(...rows: ReadingRow[]): void; flush(): void; readonly total: number; device(id: string, profileId: string, patientNhs: string, createdAtMs: number): void } {
  let rows: ReadingRow[] = [];
  let total = 0;
  const flush = () => {
    if (rows.length > 0) store.readings.commit({ rows, deadLetters: [], health: [] });
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
