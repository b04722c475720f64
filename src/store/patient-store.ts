/** Per-patient choices made by clinicians. */

/** A clinician's thresholds for one rule and one patient (replacing the profile's). */
export interface PatientOverride {
  readonly patientNhs: string;
  readonly ruleId: string;
  readonly above: number | undefined;
  readonly below: number | undefined;
  readonly clearAt: number | undefined;
  readonly setBy: string;
  readonly setAtMs: number;
}

export interface PatientSettings {
  readonly patientNhs: string;
  /** NEWS2 SpO2 scale: 2 only for patients whose target is 88–92 % [NEWS2 chart 1]. */
  readonly spo2Scale: 1 | 2;
  readonly setBy: string;
  readonly setAtMs: number;
}

/** Persistence of clinicians' per-patient choices (the rules engine and the web app read them). */
export interface PatientStore {
  /** Sets (or replaces) the patient's thresholds for one rule. */
  setOverride(o: PatientOverride): void;
  /** False if there was none. */
  removeOverride(patientNhs: string, ruleId: string): boolean;
  /** Every override, or one patient's, by patient then rule. */
  overrides(patientNhs?: string): PatientOverride[];
  setSettings(s: PatientSettings): void;
  allSettings(): PatientSettings[];
  settings(patientNhs: string): PatientSettings | undefined;
}
