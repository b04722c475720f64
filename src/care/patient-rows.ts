import { news2, type News2Input, type News2Score } from '../clinical/index.js';
import type { ProfileCatalog } from '../profiles/index.js';
import type { AlertRecord } from '../store/reading-store.js';
import type { PointValue } from '../store/care-views.js';
import type { CareStore } from './store.js';
import { tierOf, type TriageFacts, type TriageTier } from './triage.js';

/** The metrics the app charts and lists, in display order. */
export const CHARTED_METRICS = ['systolic', 'diastolic', 'heartRate', 'spo2', 'bodyTemperature', 'bodyWeight', 'bloodGlucose', 'respiratoryRate'] as const;

/** Which stored metric feeds which NEWS2 parameter [NEWS2 chart 1]; the same mapping the alert rules use. */
const NEWS2_INPUTS: Readonly<Record<string, keyof News2Input>> = { respiratoryRate: 'respiratoryRate', spo2: 'spo2', systolic: 'systolic', heartRate: 'pulse', pulse: 'pulse', bodyTemperature: 'temperature' };

/** The sparkline shows the first of these the patient has. */
const SPARK_METRICS = ['systolic', 'spo2', 'heartRate', 'bodyWeight', 'bloodGlucose', 'bodyTemperature'] as const;
const BATTERY_LOW_PCT = 20;
const CLOCK_OFF_MS = 5 * 60_000;
const DAY = 86_400_000;

export interface DeviceStatus {
  readonly deviceId: string;
  readonly profileId: string;
  readonly status: 'active' | 'revoked';
  readonly lastSeenAtMs: number | undefined;
  readonly lastReadingAtMs: number | undefined;
  readonly batteryPct: number | undefined;
  readonly clockOffsetMs: number | undefined;
  readonly clockDrift: boolean;
  /** Silent past its profile's `staleAfterMinutes`. */
  readonly stale: boolean;
}

export interface PatientRow extends TriageFacts {
  readonly tier: TriageTier;
  readonly latest: readonly PointValue[];
  readonly news2: (Pick<News2Score, 'total' | 'partial' | 'response'> & { readonly missing: readonly string[] }) | undefined;
  readonly batteryLow: boolean;
  readonly clockOff: boolean;
  /** Hours since the latest reading of any device (for the "no data for N hours" badge). */
  readonly silentHours: number | undefined;
  readonly lastReview: { readonly by: string; readonly atMs: number } | undefined;
  readonly spark: readonly { readonly atMs: number; readonly value: number }[];
  readonly sparkMetric: string | undefined;
}

export interface PatientRowsDeps {
  readonly store: CareStore;
  readonly profiles: ProfileCatalog;
  readonly news2WindowMs: number;
}

/**
 * What the triage list and a patient's page show of each patient: latest values, NEWS2, devices
 * and their health, badges and the urgency tier, read for many patients at once in a handful of
 * queries.
 */
export class PatientRows {
  constructor(private readonly d: PatientRowsDeps) {}

  async devices(patients: readonly string[], now: number): Promise<(DeviceStatus & { patientNhs: string })[]> {
    return (await this.d.store.views.devicesOf(patients)).map((d) => {
      const staleAfter = this.d.profiles.get(d.profileId)?.staleAfterMinutes;
      const last = d.lastReadingAtMs ?? d.createdAtMs;
      return {
        deviceId: d.deviceId,
        patientNhs: d.patientNhs,
        profileId: d.profileId,
        status: d.status,
        lastSeenAtMs: d.lastSeenAtMs,
        lastReadingAtMs: d.lastReadingAtMs,
        batteryPct: d.batteryPct,
        clockOffsetMs: d.clockOffsetMs,
        clockDrift: d.clockDrift,
        stale: d.status === 'active' && staleAfter !== undefined && now - last > staleAfter * 60_000,
      };
    });
  }

  /** The triage facts and row of each patient (but its sparkline), from a handful of queries for all of them. */
  async rows(patients: readonly string[], now: number, open: ReadonlyMap<string, readonly AlertRecord[]>, reviews: ReadonlyMap<string, { by: string; atMs: number }>): Promise<PatientRow[]> {
    const latest = (await this.d.store.views.latestOf(patients, CHARTED_METRICS));
    const devices = new Map<string, DeviceStatus[]>();
    for (const d of await this.devices(patients, now)) {
      const list = devices.get(d.patientNhs);
      if (list === undefined) devices.set(d.patientNhs, [d]);
      else list.push(d);
    }
    const scales = new Map((await this.d.store.patients.allSettings()).map((x) => [x.patientNhs, x.spo2Scale]));
    return patients.map((nhs) => this.row(nhs, now, latest.get(nhs) ?? [], devices.get(nhs) ?? [], open.get(nhs) ?? [], reviews.get(nhs), scales.get(nhs) ?? 1));
  }

  /** Each row with its 7-day sparkline (14 points, from the rollups): the first of SPARK_METRICS the patient has. */
  async withSparks(rows: readonly PatientRow[], now: number): Promise<PatientRow[]> {
    const metricOf = new Map(rows.flatMap((r) => SPARK_METRICS.filter((m) => r.latest.some((l) => l.metric === m)).slice(0, 1).map((m) => [r.patientNhs, m] as const)));
    const sparks = (await this.d.store.views.sparks([...metricOf], now - 7 * DAY, 12 * 3_600_000));
    return rows.map((r) => ({ ...r, sparkMetric: metricOf.get(r.patientNhs), spark: sparks.get(r.patientNhs) ?? [] }));
  }

  private row(
    patientNhs: string,
    now: number,
    latest: readonly PointValue[],
    devices: readonly DeviceStatus[],
    open: readonly AlertRecord[],
    review: { by: string; atMs: number } | undefined,
    spo2Scale: 1 | 2,
  ): PatientRow {
    // One pass over each list (the triage list makes a row for each of thousands of patients).
    let staleSince = Infinity;
    let lastReading = 0;
    let batteryLow = false;
    let clockOff = false;
    for (const d of devices) {
      const at = d.lastReadingAtMs ?? 0;
      if (d.stale && at < staleSince) staleSince = at;
      if (at > lastReading) lastReading = at;
      if (d.batteryPct !== undefined && d.batteryPct < BATTERY_LOW_PCT) batteryLow = true;
      if (d.clockDrift || Math.abs(d.clockOffsetMs ?? 0) > CLOCK_OFF_MS) clockOff = true;
    }
    let criticalAlerts = 0;
    let warningAlerts = 0;
    let oldestOpen = Infinity;
    for (const a of open) {
      if (a.severity === 'critical') criticalAlerts++;
      if (a.severity === 'warning') warningAlerts++;
      if (a.openedAtMs < oldestOpen) oldestOpen = a.openedAtMs;
    }
    const score = this.news2(latest, now, spo2Scale);
    const oldestOpenAlertAtMs = open.length === 0 ? undefined : oldestOpen;
    const news2Response = score !== undefined && score.response !== 'routine';
    const staleForMs = staleSince === Infinity ? undefined : now - staleSince;
    // Field by field, not spread from the facts (with the loops above: the triage list's p50 ~30 % lower, npm run bench's web part).
    return {
      patientNhs,
      criticalAlerts,
      warningAlerts,
      oldestOpenAlertAtMs,
      news2Response,
      staleForMs,
      tier: tierOf({ patientNhs, criticalAlerts, warningAlerts, oldestOpenAlertAtMs, news2Response, staleForMs }),
      latest,
      news2: score === undefined ? undefined : { total: score.total, partial: score.partial, response: score.response, missing: score.missing },
      batteryLow,
      clockOff,
      silentHours: lastReading > 0 ? Math.floor((now - lastReading) / 3_600_000) : undefined,
      lastReview: review === undefined ? undefined : { by: review.by, atMs: review.atMs },
      spark: [],
      sparkMetric: undefined,
    };
  }

  /** NEWS2 from the latest values inside the window; undefined when none of its parameters is there. */
  private news2(latest: readonly PointValue[], now: number, spo2Scale: 1 | 2): News2Score | undefined {
    const input: Record<string, number> = {};
    for (const l of latest) {
      const parameter = NEWS2_INPUTS[l.metric];
      if (parameter !== undefined && now - l.takenAtMs <= this.d.news2WindowMs) input[parameter] = l.value;
    }
    if (Object.keys(input).length === 0) return undefined;
    return news2({ ...input, spo2Scale });
  }}
