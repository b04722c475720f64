import type { AuditEntry, PatientReview } from './reading-store.js';

/**
 * What the web app reads about patients and who looks at them: their latest values and series
 * (downsampled by the store, so a chart of months moves a few thousand rows at most), their devices'
 * health, the audit trail and review marks, API tokens, browser sessions and research opt-outs.
 * Each port has one contract suite that every adapter (SQLite, PostgreSQL) passes.
 */

/** One bucket of a downsampled series: its extremes and when they were taken. */
export interface SeriesBucket {
  readonly fromMs: number;
  readonly toMs: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly count: number;
}

/** A device as the app lists it, with its health. */
export interface DeviceRow {
  readonly deviceId: string;
  readonly profileId: string;
  readonly patientNhs: string;
  readonly status: 'active' | 'revoked';
  readonly createdAtMs: number;
  readonly lastSeenAtMs: number | undefined;
  readonly lastReadingAtMs: number | undefined;
  readonly batteryPct: number | undefined;
  readonly clockOffsetMs: number | undefined;
  readonly clockDrift: boolean;
}

/** A stored value as a chart or list shows it. */
export interface PointValue {
  readonly id: number;
  readonly deviceId: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly takenAtMs: number;
  readonly status: string;
}

/** A series: every value, or buckets of equal width when there are more than asked for. */
export type Series = { readonly points: PointValue[] } | { readonly buckets: SeriesBucket[] };

/** Patients' values as the app shows them. Retracted values (`entered-in-error`) are never shown as values. */
export interface CareViews {
  /** A patient's latest values, retracted ones included (with their status), newest first. */
  recent(patientNhs: string, limit: number): PointValue[];
  /** Each patient's latest value of each of `metrics` (not retracted), in `metrics` order. */
  latestOf(patients: readonly string[], metrics: readonly string[]): Map<string, PointValue[]>;
  /** Every device of these patients with its health, oldest first. */
  devicesOf(patients: readonly string[]): DeviceRow[];
  /** For each [patient, metric], its mean per bucket of `widthMs` since `fromMs` (sparklines), keyed by patient. */
  sparks(series: readonly (readonly [patient: string, metric: string])[], fromMs: number, widthMs: number): Map<string, { atMs: number; value: number }[]>;
  /**
   * A metric's values in [fromMs, toMs): every value when there are at most `maxPoints`, else
   * `maxPoints / 2` buckets of equal width, each with its min, max and mean (a chart keeps every spike).
   */
  series(patientNhs: string, metric: string, fromMs: number, toMs: number, maxPoints: number): Series;
}

/** A view, change or refusal as the audit trail keeps it (written in the commit: see `CommitBatch.audit`). */
export interface StoredAuditEntry extends AuditEntry {
  readonly id: number;
}

export interface AuditFilter {
  readonly patientNhs?: string | undefined;
  readonly actor?: string | undefined;
  readonly sinceMs?: number | undefined;
  /** Entries before this id (paging back through the trail). */
  readonly beforeId?: number | undefined;
  readonly limit?: number | undefined;
}

/** A patient's latest "reviewed" mark. */
export type ReviewMark = PatientReview;

/** Reading the audit trail and review marks (both are written in the commit). */
export interface AuditTrail {
  /** Newest first, 100 unless a limit is given. */
  list(filter?: AuditFilter): StoredAuditEntry[];
  lastReview(patientNhs: string): ReviewMark | undefined;
  /** Every patient's latest review (the triage list). */
  reviews(): Map<string, ReviewMark>;
}

export interface ApiTokenRecord {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly createdAtMs: number;
  readonly revokedAtMs: number | undefined;
}

/** API clients' bearer tokens: only their SHA-256 is kept. */
export interface ApiTokenStore {
  insert(t: { id: string; accountId: string; tokenHash: string; name: string; createdAtMs: number }): void;
  /** The live token with this hash. */
  byHash(tokenHash: string): ApiTokenRecord | undefined;
  /** Every token, or one account's, oldest first. */
  list(accountId?: string): ApiTokenRecord[];
  /** False if there was no live token with this id. */
  revoke(id: string, atMs: number): boolean;
}

/** A browser session as kept: its cookie token only as a digest. */
export interface SessionRecord {
  readonly digest: string;
  readonly accountId: string;
  readonly csrf: string;
  readonly createdAtMs: number;
  readonly lastUsedAtMs: number;
  readonly via: 'local' | 'oidc';
}

/** Where browser sessions live: in memory on one gateway, in the database for several workers (a revoked account's are refused at use). */
export interface SessionStore {
  insert(s: SessionRecord): void;
  get(digest: string): SessionRecord | undefined;
  /** Its idle clock restarts. */
  touch(digest: string, atMs: number): void;
  delete(digest: string): void;
  /** Forgets sessions last used before `beforeMs`; how many. */
  sweep(beforeMs: number): number;
}

/** A patient's research opt-out state: when it was set, and by what (the national list, a clinician, the command line). */
export interface OptOutState {
  readonly patientNhs: string;
  readonly optedOut: boolean;
  readonly setAtMs: number;
  readonly source: string;
}

/** Patients' research opt-outs, as the app and the command line record them. */
export interface OptOutStore {
  optOut(patientNhs: string): OptOutState | undefined;
  /** Sets the state; false if it already was that (the time and source of the earlier setting are kept). */
  setOptOut(s: OptOutState): boolean;
  /** Many at once, all or none; how many changed (a patient listed twice: the last stands). */
  setOptOuts(states: readonly OptOutState[]): number;
  /** Every patient's state, by NHS number. */
  optOuts(): OptOutState[];
  /** Every patient with a device, by NHS number (whom an opt-out check covers). */
  knownPatients(): string[];
}

/** One stored value as a research extract reads it: no device id, no exact identifiers beyond the patient (pseudonymised by the caller). */
export type ResearchValue = [metric: string, value: number, unit: string, takenAtMs: number, profileId: string, corrected: 0 | 1];
