import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { PatientRows } from '../../src/care/patient-rows.js';
import { TriageTier } from '../../src/care/triage.js';
import { bundledProfilesDir } from '../../src/config/index.js';
import { readingKey } from '../../src/domain/index.js';
import { loadProfiles } from '../../src/profiles/index.js';
import type { AlertRecord } from '../../src/store/reading-store.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../helpers/gateway.js';
import { nhsNumbers } from '../helpers/nhs.js';
import { deviceRecord } from '../helpers/records.js';

const HOUR = 3_600_000;
const profiles = loadProfiles(bundledProfilesDir());
const [busy, quiet, silent] = nhsNumbers(3) as [string, string, string];

let tmp: ReturnType<typeof tempDir>;
let store: SqliteStore;
beforeEach(() => {
  tmp = tempDir();
  store = new SqliteStore(join(tmp.dir, 'gateway.db'));
});
afterEach(() => {
  store.close();
  tmp.remove();
});

const device = (id: string, profileId: string, patientNhs: string, createdAtMs: number): void =>
  store.devices.insert(deviceRecord(id, profileId, patientNhs, createdAtMs));

const alert = (id: string, patientNhs: string, severity: AlertRecord['severity'], openedAtMs: number): AlertRecord => ({
  id,
  key: id,
  patientNhs,
  deviceId: 'd',
  ruleId: 'r',
  severity,
  state: 'open',
  message: 'm',
  value: 1,
  openedAtMs,
  updatedAtMs: openedAtMs,
});

describe('patient rows (the triage list and a patient page)', () => {
  it('counts alerts, finds the oldest, the longest silence, low batteries and clocks that are off, for each patient', async () => {
    const now = Date.now();
    // The busy patient: a cuff read an hour and a half ago, its battery low; two wearables silent past their
    // profile's 60 minutes (one for 5 hours, one for 3), one with its clock 10 minutes out.
    device('cuff', 'bp-upper-arm', busy, now - 100 * HOUR);
    device('watch-a', 'wrist-wearable', busy, now - 100 * HOUR);
    device('watch-b', 'wrist-wearable', busy, now - 100 * HOUR);
    // The quiet patient: a watch that read 10 minutes ago, its clock within limits; SpO2 of 90 % (NEWS2 3).
    device('watch-q', 'wrist-wearable', quiet, now - 100 * HOUR);
    const cuffAt = now - 1.5 * HOUR;
    const spo2At = now - 10 * 60_000;
    store.readings.commit({
      readings: [
        {
          idempotencyKey: readingKey({ deviceId: 'watch-q', deviceTakenAtMs: spo2At, messageId: 'q1', values: {} }),
          deviceId: 'watch-q',
          patientNhs: quiet,
          profileId: 'wrist-wearable',
          deviceTakenAtMs: spo2At,
          takenAtMs: spo2At,
          receivedAtMs: spo2At,
          clockOffsetMs: undefined,
          messageId: 'q1',
          payloadSha256: undefined,
          values: [{ metric: 'spo2', value: 90, unit: '%', sourceUnit: undefined }],
        },
      ],
      deadLetters: [],
      health: [
        { deviceId: 'cuff', seenAtMs: cuffAt, readingAtMs: cuffAt, status: { batteryPct: 15 } },
        { deviceId: 'watch-a', seenAtMs: now - 5 * HOUR, readingAtMs: now - 5 * HOUR, clockOffsetMs: 10 * 60_000 },
        { deviceId: 'watch-b', seenAtMs: now - 3 * HOUR, readingAtMs: now - 3 * HOUR, clockOffsetMs: 1_000 },
        { deviceId: 'watch-q', seenAtMs: spo2At, readingAtMs: spo2At, clockOffsetMs: 2 * 60_000, status: { batteryPct: 80 } },
      ],
    });
    const open = new Map([[busy, [alert('w', busy, 'warning', now - 4 * HOUR), alert('c', busy, 'critical', now - 2 * HOUR), alert('c2', busy, 'critical', now - HOUR)]]]);
    const reviews = new Map([[quiet, { by: 'dr-a', atMs: now - HOUR }]]);
    const rows = await new PatientRows({ store, profiles, news2WindowMs: 24 * HOUR }).rows([busy, quiet, silent], now, open, reviews);

    expect(rows.map((r) => r.patientNhs)).toEqual([busy, quiet, silent]);
    expect(rows[0]).toMatchObject({
      criticalAlerts: 2,
      warningAlerts: 1,
      oldestOpenAlertAtMs: now - 4 * HOUR,
      staleForMs: 5 * HOUR,
      tier: TriageTier.Critical,
      batteryLow: true,
      clockOff: true,
      silentHours: 1,
      lastReview: undefined,
      news2: undefined,
      news2Response: false,
    });
    expect(rows[1]).toMatchObject({
      criticalAlerts: 0,
      warningAlerts: 0,
      oldestOpenAlertAtMs: undefined,
      staleForMs: undefined,
      tier: TriageTier.News2,
      batteryLow: false,
      clockOff: false,
      silentHours: 0,
      lastReview: { by: 'dr-a', atMs: now - HOUR },
      news2: { total: 3, partial: true },
      news2Response: true,
    });
    expect(rows[1]?.latest.map((l) => [l.metric, l.value])).toEqual([['spo2', 90]]);
    expect(rows[2]).toMatchObject({ criticalAlerts: 0, warningAlerts: 0, staleForMs: undefined, tier: TriageTier.Rest, batteryLow: false, clockOff: false, silentHours: undefined, latest: [] });
  });
});
