/** The observations NEWS2 scores; any may be missing (`null` or absent). */
export interface News2Input {
  readonly respiratoryRate?: number | null | undefined;
  readonly spo2?: number | null | undefined;
  /** 2 only when the patient's record says so (target 88–92 %, e.g. hypercapnic respiratory failure). */
  readonly spo2Scale?: 1 | 2 | null | undefined;
  readonly onOxygen?: boolean | null | undefined;
  readonly systolic?: number | null | undefined;
  readonly pulse?: number | null | undefined;
  /** ACVPU: Alert, new Confusion, Voice, Pain, Unresponsive. */
  readonly consciousness?: 'A' | 'C' | 'V' | 'P' | 'U' | null | undefined;
  readonly temperature?: number | null | undefined;
}

export const News2Parameter = {
  RespiratoryRate: 'respiratoryRate',
  Spo2: 'spo2',
  OnOxygen: 'onOxygen',
  Systolic: 'systolic',
  Pulse: 'pulse',
  Consciousness: 'consciousness',
  Temperature: 'temperature',
} as const;
export type News2Parameter = (typeof News2Parameter)[keyof typeof News2Parameter];

/** [NEWS2 chart 2] the clinical response a score calls for. */
export const News2Response = {
  Routine: 'routine',
  WardBased: 'ward-based',
  UrgentWardBased: 'urgent-ward-based',
  Urgent: 'urgent',
  Emergency: 'emergency',
} as const;
export type News2Response = (typeof News2Response)[keyof typeof News2Response];

export interface News2Score {
  /** With parameters missing, a floor: missing parameters can only add to it. */
  readonly total: number;
  /** Each parameter's score; null when missing. */
  readonly subscores: Readonly<Record<News2Parameter, number | null>>;
  readonly response: News2Response;
  /** True when any parameter is missing: never present this as a full NEWS2. */
  readonly partial: boolean;
  readonly missing: readonly News2Parameter[];
  readonly spo2Scale: 1 | 2;
}

const present = <T>(v: T | null | undefined): v is T => v !== null && v !== undefined;

/** Bands as `[upper bound (inclusive), score]`, lowest first; a value above them all scores `above`. */
type Bands = readonly (readonly [upTo: number, score: number])[];
const banded = (value: number, bands: Bands, above: number): number => bands.find(([upTo]) => value <= upTo)?.[1] ?? above;

/**
 * The chart's bands are whole numbers (temperature: tenths). A value between two of its steps (SpO2
 * 91.5 %, a respiration rate of 8.5 averaged by a device) lies between two bands: it scores the
 * more severe of the two, never the milder one that rounding could pick [clinical.md gateway rules:
 * where a value falls between bands, the safer band]. Values on the grid score their own band.
 */
function saferBand(value: number, step: number, score: (onGrid: number) => number): number {
  // Tenths of a degree are not exact in binary: 36.1 / 0.1 is 361.00000000000006, on the grid all the same.
  const x = Math.round((value / step) * 1e6) / 1e6;
  const low = Math.floor(x);
  const high = Math.ceil(x);
  return low === high ? score(low) : Math.max(score(low), score(high));
}

/** [NEWS2 chart 1] respiration rate /min: ≤8 → 3, 9–11 → 1, 12–20 → 0, 21–24 → 2, ≥25 → 3. */
export const respiratoryRateScore = (rate: number): number => saferBand(rate, 1, (r) => banded(r, [[8, 3], [11, 1], [20, 0], [24, 2]], 3));

/** [NEWS2 chart 1] SpO2 scale 1 %: ≤91 → 3, 92–93 → 2, 94–95 → 1, ≥96 → 0. */
export const spo2Scale1Score = (spo2: number): number => saferBand(spo2, 1, (v) => banded(v, [[91, 3], [93, 2], [95, 1]], 0));

/**
 * [NEWS2 chart 1] SpO2 scale 2 %: ≤83 → 3, 84–85 → 2, 86–87 → 1, 88–92 → 0, and from 93: 0 on
 * air, but on oxygen 93–94 → 1, 95–96 → 2, ≥97 → 3 (over-oxygenation of a patient whose target
 * is 88–92). The trap: ≥93 on air scores 0.
 */
export const spo2Scale2Score = (spo2: number, onOxygen: boolean): number =>
  saferBand(spo2, 1, (v) => banded(v, [[83, 3], [85, 2], [87, 1], [92, 0], ...(onOxygen ? ([[94, 1], [96, 2]] as const) : [])], onOxygen ? 3 : 0));

/** [NEWS2 chart 1] systolic BP mmHg: ≤90 → 3, 91–100 → 2, 101–110 → 1, 111–219 → 0, ≥220 → 3. */
export const systolicScore = (systolic: number): number => saferBand(systolic, 1, (v) => banded(v, [[90, 3], [100, 2], [110, 1], [219, 0]], 3));

/** [NEWS2 chart 1] pulse /min: ≤40 → 3, 41–50 → 1, 51–90 → 0, 91–110 → 1, 111–130 → 2, ≥131 → 3. */
export const pulseScore = (pulse: number): number => saferBand(pulse, 1, (v) => banded(v, [[40, 3], [50, 1], [90, 0], [110, 1], [130, 2]], 3));

/** [NEWS2 chart 1] temperature °C (to 0.1): ≤35.0 → 3, 35.1–36.0 → 1, 36.1–38.0 → 0, 38.1–39.0 → 1, ≥39.1 → 2. */
export const temperatureScore = (celsius: number): number => saferBand(celsius, 0.1, (t) => banded(t, [[350, 3], [360, 1], [380, 0], [390, 1]], 2));

/**
 * NEWS2 [RCP 2017 chart 1] from whichever parameters are present. Missing ones are listed and the
 * score flagged partial — a floor, from which the response is still derived [clinical.md gateway
 * rules]. Scale 2 is used only when asked (the patient's setting). With oxygen use unknown, SpO2 on
 * scale 2 is scored as on air (the floor) and `onOxygen` is listed missing. The chart's bands are
 * whole numbers (temperature to 0.1 °C); a value between two bands scores the more severe one.
 */
export function news2(input: News2Input): News2Score {
  const scale: 1 | 2 = input.spo2Scale === 2 ? 2 : 1;
  const onOxygen = input.onOxygen ?? undefined;
  const subscores: Record<News2Parameter, number | null> = {
    respiratoryRate: present(input.respiratoryRate) ? respiratoryRateScore(input.respiratoryRate) : null,
    spo2: present(input.spo2) ? (scale === 2 ? spo2Scale2Score(input.spo2, onOxygen === true) : spo2Scale1Score(input.spo2)) : null,
    // [NEWS2 chart 1] air or oxygen: oxygen → 2.
    onOxygen: onOxygen === undefined ? null : onOxygen ? 2 : 0,
    systolic: present(input.systolic) ? systolicScore(input.systolic) : null,
    pulse: present(input.pulse) ? pulseScore(input.pulse) : null,
    // [NEWS2 chart 1] Alert → 0; new Confusion, Voice, Pain or Unresponsive → 3.
    consciousness: present(input.consciousness) ? (input.consciousness === 'A' ? 0 : 3) : null,
    temperature: present(input.temperature) ? temperatureScore(input.temperature) : null,
  };
  const scores = Object.values(subscores).filter(present);
  const total = scores.reduce((a, b) => a + b, 0);
  const missing = (Object.keys(subscores) as News2Parameter[]).filter((k) => subscores[k] === null);
  return { total, subscores, response: news2Response(total, scores.some((s) => s === 3)), partial: missing.length > 0, missing, spo2Scale: scale };
}

/**
 * [NEWS2 chart 2] 0 → routine monitoring; 1–4 → ward-based response, or urgent ward-based when a
 * single parameter scores 3; 5–6 → urgent response; ≥7 → emergency response.
 */
export function news2Response(total: number, anySingleThree: boolean): News2Response {
  if (total >= 7) return News2Response.Emergency;
  if (total >= 5) return News2Response.Urgent;
  if (anySingleThree) return News2Response.UrgentWardBased;
  if (total >= 1) return News2Response.WardBased;
  return News2Response.Routine;
}
