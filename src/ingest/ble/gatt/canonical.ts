import type { CharacteristicId } from './index.js';

/** How one decoded field becomes a canonical value: its UCUM unit (from the decoded value's own unit flag), and any scaling. */
interface FieldSpec {
  /** Every UCUM unit the field can arrive in (checked against the profile's metric when profiles load). */
  readonly units: readonly string[];
  readonly unitOf: (decoded: Record<string, unknown>) => string;
  /** To the unit `unitOf` names, when the decoded number is in another scale (glucose in kg/L or mol/L). */
  readonly scale?: (value: number, decoded: Record<string, unknown>) => number;
}

const fixed = (unit: string): FieldSpec => ({ units: [unit], unitOf: () => unit });
/** The pressure unit flag [GATT 2A35 flags bit 0]. */
const pressure: FieldSpec = { units: ['mm[Hg]', 'kPa'], unitOf: (d) => (d['unit'] === 'kPa' ? 'kPa' : 'mm[Hg]') };
/** Exact decimal scaling: 0.00101 kg/L × 10^5 is 101 mg/dL, not 101.00000000000001. */
const times = (value: number, power: number): number => Number(`${value}e${power}`);

/**
 * The decoded fields a profile may map to metrics, per characteristic [gatt-decode-output.md]:
 * numbers only (status bits, ids and times are not measurements).
 */
export const BLE_FIELDS: Readonly<Record<CharacteristicId, Readonly<Record<string, FieldSpec>>>> = {
  '2A35': { systolic: pressure, diastolic: pressure, meanArterialPressure: pressure, pulseRate: fixed('/min') },
  '2A36': { cuffPressure: pressure, pulseRate: fixed('/min') },
  '2A37': { heartRate: fixed('/min'), energyExpended: fixed('kJ') },
  '2A18': {
    // [GATT 2A18 flags bit 2] kg/L or mol/L; as mg/dL (1 kg/L = 10^5 mg/dL) or mmol/L (1 mol/L = 10^3 mmol/L).
    glucoseConcentration: {
      units: ['mg/dL', 'mmol/L'],
      unitOf: (d) => (d['unit'] === 'mol/L' ? 'mmol/L' : 'mg/dL'),
      scale: (v, d) => times(v, d['unit'] === 'mol/L' ? 3 : 5),
    },
  },
  '2A9D': {
    weight: { units: ['kg', '[lb_av]'], unitOf: (d) => (d['unit'] === 'lb' ? '[lb_av]' : 'kg') },
    bmi: fixed('kg/m2'),
    height: { units: ['m', '[in_i]'], unitOf: (d) => (d['heightUnit'] === 'in' ? '[in_i]' : 'm') },
  },
  '2A1C': { temperature: { units: ['Cel', '[degF]'], unitOf: (d) => (d['unit'] === 'F' ? '[degF]' : 'Cel') } },
  '2A5E': { spo2: fixed('%'), pulseRate: fixed('/min'), pulseAmplitudeIndex: fixed('%') },
  '2A5F': {
    spo2: fixed('%'),
    pulseRate: fixed('/min'),
    spo2Fast: fixed('%'),
    pulseRateFast: fixed('/min'),
    spo2Slow: fixed('%'),
    pulseRateSlow: fixed('/min'),
    pulseAmplitudeIndex: fixed('%'),
  },
};

/**
 * A decoded value as canonical values and units, by the profile's field → metric map. Fields
 * absent or null (a special value in an optional field) give no value: the pipeline then decides
 * (a required metric missing is rejected there, as for MQTT).
 */
export function canonicalValues(
  characteristic: CharacteristicId,
  decoded: Record<string, unknown>,
  metrics: Readonly<Record<string, string>>,
): { values: Record<string, number>; units: Record<string, string> } {
  const fields = BLE_FIELDS[characteristic];
  const values: Record<string, number> = {};
  const units: Record<string, string> = {};
  for (const [field, metric] of Object.entries(metrics)) {
    const spec = fields[field];
    const raw = decoded[field];
    if (spec === undefined || typeof raw !== 'number') continue;
    values[metric] = spec.scale === undefined ? raw : spec.scale(raw, decoded);
    units[metric] = spec.unitOf(decoded);
  }
  return { values, units };
}
