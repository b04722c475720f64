import { news2, News2Response, type News2Input, type News2Score } from '../../clinical/index.js';
import type { Reading } from '../../domain/index.js';

/** Which stored metric feeds which NEWS2 parameter [NEWS2 chart 1]. Consciousness and oxygen use never come from devices. */
export const NEWS2_METRICS = {
  respiratoryRate: 'respiratoryRate',
  spo2: 'spo2',
  systolic: 'systolic',
  pulse: 'pulse',
  heartRate: 'pulse',
  bodyTemperature: 'temperature',
} as const satisfies Record<string, keyof News2Input>;

type Parameter = (typeof NEWS2_METRICS)[keyof typeof NEWS2_METRICS];

/** Whether a stored value feeds NEWS2. */
export const isNews2Input = (r: { readonly metric: string }): boolean => Object.hasOwn(NEWS2_METRICS, r.metric);

/** Whether any of these readings carries a NEWS2 parameter. */
export const hasNews2Input = (readings: readonly Reading[]): boolean => readings.some((r) => r.values.some(isNews2Input));

/** One bit per parameter: which of them are inside the window, as a number. */
const BIT: Readonly<Record<Parameter, number>> = { respiratoryRate: 1, spo2: 2, systolic: 4, pulse: 8, temperature: 16 };

/** Responses that raise an alert: a single parameter scoring 3, or a total of 5 or more [NEWS2 chart 2]. */
const ALERTING: ReadonlySet<News2Response> = new Set([News2Response.UrgentWardBased, News2Response.Urgent, News2Response.Emergency]);

/**
 * NEWS2 per patient from the latest value of each parameter inside a window [clinical.md gateway
 * rules]: values are remembered as they are stored (loaded from the store the first time a patient
 * is seen), those older than the window dropped. Home devices never report consciousness or oxygen
 * use, so the score is nearly always partial: it is a floor and says what is missing.
 */
export class News2Watch {
  private readonly latest = new Map<string, Map<Parameter, { value: number; atMs: number }>>();
  /** The parameters inside the window when each patient was last scored ({@link BIT}s). */
  private readonly scored = new Map<string, number>();

  constructor(
    /** How far back a value counts. */
    readonly windowMs: number,
    private readonly load: (patientNhs: string, metric: string, sinceMs: number) => { value: number; takenAtMs: number } | undefined,
    private readonly scaleOf: (patientNhs: string) => 1 | 2,
  ) {}

  /**
   * The patient's NEWS2 after these newly stored values; undefined when it cannot have changed (no
   * NEWS2 parameter among them, the same values again, none dropped out of the window).
   */
  update(patientNhs: string, readings: readonly Reading[], nowMs: number): (News2Score & { alerting: boolean }) | undefined {
    if (!hasNews2Input(readings)) return undefined;
    const since = nowMs - this.windowMs;
    let changed = false;
    let values = this.latest.get(patientNhs);
    if (values === undefined) {
      changed = true;
      values = this.loaded(patientNhs, since);
    }
    for (const r of readings) {
      const atMs = r.takenAtMs;
      for (const v of r.values) {
        if (!isNews2Input(v)) continue;
        const parameter = NEWS2_METRICS[v.metric as keyof typeof NEWS2_METRICS];
        const known = values.get(parameter);
        if (known === undefined) {
          changed = true;
          values.set(parameter, { value: v.value, atMs });
        } else if (atMs >= known.atMs) {
          if (known.value !== v.value || known.atMs < since) changed = true;
          known.value = v.value;
          known.atMs = atMs;
        }
      }
    }
    return this.score(patientNhs, values, since, changed);
  }

  /**
   * The patient's NEWS2 from the store's values alone (after a correction, or at start-up): those
   * remembered, after {@link forget} those the store holds now.
   */
  rescore(patientNhs: string, nowMs: number): News2Score & { alerting: boolean } {
    this.scored.delete(patientNhs);
    const since = nowMs - this.windowMs;
    const values = this.latest.get(patientNhs) ?? this.loaded(patientNhs, since);
    return this.score(patientNhs, values, since, true) as News2Score & { alerting: boolean };
  }

  /**
   * Replaces what is remembered of a patient with the store's latest values, read by the caller
   * (gateways sharing a store each see a share of the patient's readings: before each evaluation
   * the store is read again). Each value: a metric of {@link NEWS2_METRICS}, taken inside the window.
   */
  take(patientNhs: string, stored: readonly { metric: string; value: number; takenAtMs: number }[]): void {
    const values = new Map<Parameter, { value: number; atMs: number }>();
    for (const v of stored) {
      const parameter = NEWS2_METRICS[v.metric as keyof typeof NEWS2_METRICS] as Parameter | undefined;
      const known = parameter === undefined ? undefined : values.get(parameter);
      if (parameter !== undefined && (known === undefined || v.takenAtMs > known.atMs)) values.set(parameter, { value: v.value, atMs: v.takenAtMs });
    }
    this.latest.set(patientNhs, values);
  }

  /** Forgets what is remembered of these patients: read from the store again next time (what it holds is the truth). */
  forget(patients: Iterable<string>): void {
    for (const nhs of patients) {
      this.latest.delete(nhs);
      this.scored.delete(nhs);
    }
  }

  private loaded(patientNhs: string, since: number): Map<Parameter, { value: number; atMs: number }> {
    const values = new Map<Parameter, { value: number; atMs: number }>();
    for (const [metric, parameter] of Object.entries(NEWS2_METRICS)) {
      const v = this.load(patientNhs, metric, since);
      const known = values.get(parameter);
      if (v !== undefined && (known === undefined || v.takenAtMs > known.atMs)) values.set(parameter, { value: v.value, atMs: v.takenAtMs });
    }
    this.latest.set(patientNhs, values);
    return values;
  }

  private score(patientNhs: string, values: ReadonlyMap<Parameter, { value: number; atMs: number }>, since: number, changed: boolean): (News2Score & { alerting: boolean }) | undefined {
    // Which parameters are inside the window: one dropping out changes the score too.
    let inWindow = 0;
    for (const [parameter, v] of values) if (v.atMs >= since) inWindow |= BIT[parameter];
    if (!changed && this.scored.get(patientNhs) === inWindow) return undefined;
    this.scored.set(patientNhs, inWindow);
    const input: Record<string, number | 1 | 2> = { spo2Scale: this.scaleOf(patientNhs) };
    for (const [parameter, v] of values) if (v.atMs >= since) input[parameter] = v.value;
    const score = news2(input as News2Input);
    return { ...score, alerting: ALERTING.has(score.response) };
  }
}

/** How a NEWS2 alert reads: never a full score when parameters are missing. */
export function describeNews2(score: News2Score): string {
  const what = score.partial ? `NEWS2 ${score.total} (partial: missing ${score.missing.join(', ')})` : `NEWS2 ${score.total}`;
  return `${what}: ${score.response} response [RCP NEWS2 chart 2]`;
}
