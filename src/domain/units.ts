/**
 * UCUM units the gateway understands, the spellings devices use for them, and the linear
 * conversions between them. Profiles name units by UCUM code; conversions come from here so a
 * factor is written (and cited) once.
 */

/** Spellings seen on devices → UCUM code [UCUM, "common units" table]. */
const ALIASES: Readonly<Record<string, string>> = {
  mmHg: 'mm[Hg]',
  'mm Hg': 'mm[Hg]',
  '°C': 'Cel',
  C: 'Cel',
  degC: 'Cel',
  '°F': '[degF]',
  F: '[degF]',
  degF: '[degF]',
  lb: '[lb_av]',
  lbs: '[lb_av]',
  bpm: '/min',
  'beats/min': '/min',
  'breaths/min': '/min',
  'mg/dl': 'mg/dL',
  'mmol/l': 'mmol/L',
  steps: '1',
};

/** Maps a device's unit spelling to its UCUM code (unknown spellings pass through unchanged). */
export const toUcum = (unit: string): string => ALIASES[unit.trim()] ?? unit.trim();

/** value_in_target = value * factor + offset */
interface Linear {
  readonly factor: number;
  readonly offset: number;
}

/** Glucose molar mass 180.156 g/mol: 1 mmol/L = 18.0156 mg/dL [UCUM; WHO glucose conversion]. */
const GLUCOSE_MG_DL_PER_MMOL_L = 18.0156;

const CONVERSIONS: Readonly<Record<string, Linear>> = {
  // 1 kPa = 7.50062 mmHg [UCUM: mm[Hg] = 133.3220 Pa]
  'kPa->mm[Hg]': { factor: 1000 / 133.322, offset: 0 },
  'mm[Hg]->kPa': { factor: 133.322 / 1000, offset: 0 },
  // °C = (°F − 32) × 5/9 [UCUM [degF]]
  '[degF]->Cel': { factor: 5 / 9, offset: (-32 * 5) / 9 },
  'Cel->[degF]': { factor: 9 / 5, offset: 32 },
  // 1 lb (avoirdupois) = 0.45359237 kg exactly [UCUM [lb_av]]
  '[lb_av]->kg': { factor: 0.45359237, offset: 0 },
  'kg->[lb_av]': { factor: 1 / 0.45359237, offset: 0 },
  'g->kg': { factor: 0.001, offset: 0 },
  'mg/dL->mmol/L': { factor: 1 / GLUCOSE_MG_DL_PER_MMOL_L, offset: 0 },
  'mmol/L->mg/dL': { factor: GLUCOSE_MG_DL_PER_MMOL_L, offset: 0 },
  '/s->/min': { factor: 60, offset: 0 },
};

/** True when `from` can be converted to `to` (same unit included). */
export const canConvert = (from: string, to: string): boolean => from === to || `${from}->${to}` in CONVERSIONS;

/** Converts a value between two UCUM units; undefined when no conversion is known. */
export function convert(value: number, from: string, to: string): number | undefined {
  if (from === to) return value;
  const c = CONVERSIONS[`${from}->${to}`];
  return c === undefined ? undefined : value * c.factor + c.offset;
}

/** Rounds away the floating-point noise a conversion leaves (keeps 6 significant decimals). */
export const tidy = (value: number): number => Math.round(value * 1e6) / 1e6;
