import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canConvert, GatewayError, isTimeZone, toUcum } from '../domain/index.js';
import { DeviceProfileSchema, OBSERVATION_UNITS, type DeviceProfile, type ForwardSpec } from './schema.js';
import { BLE_FIELDS } from '../ingest/ble/gatt/canonical.js';

/** Loaded profiles by id. */
export type ProfileCatalog = ReadonlyMap<string, DeviceProfile>;

/**
 * Reads every `*.json` in `dir`, validates each against the profile schema and the checks a schema
 * cannot express (units convertible, rules naming declared metrics, a real time zone). All problems
 * are reported at once, each naming its file and field; any problem fails start-up.
 */
export function loadProfiles(dir: string): ProfileCatalog {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (cause) {
    throw new GatewayError('GW_PROFILE_INVALID', `cannot read device profile directory ${dir}: ${String(cause)}`, { cause });
  }
  const problems: string[] = [];
  const catalog = new Map<string, DeviceProfile>();
  for (const file of files) {
    const where = join(dir, file);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(where, 'utf8'));
    } catch (cause) {
      problems.push(`${where}: not valid JSON (${(cause as Error).message})`);
      continue;
    }
    const parsed = DeviceProfileSchema.safeParse(json);
    if (!parsed.success) {
      for (const i of parsed.error.issues) problems.push(`${where}: ${i.path.join('.') || '(root)'}: ${i.message}`);
      continue;
    }
    const semantic = checkProfile(parsed.data);
    for (const p of semantic) problems.push(`${where}: ${p}`);
    if (semantic.length > 0) continue;
    const other = catalog.get(parsed.data.id);
    if (other !== undefined) problems.push(`${where}: id: "${parsed.data.id}" is used by another profile`);
    catalog.set(parsed.data.id, parsed.data);
  }
  if (problems.length > 0) {
    throw new GatewayError('GW_PROFILE_INVALID', `invalid device profiles:\n  ${problems.join('\n  ')}`);
  }
  return catalog;
}

/** Checks a schema cannot express; returns `field: problem` strings. */
export function checkProfile(p: DeviceProfile): string[] {
  const problems: string[] = [];
  const declared = new Set(Object.keys(p.metrics));
  for (const [name, m] of Object.entries(p.metrics)) {
    if (m.limits.min >= m.limits.max) problems.push(`metrics.${name}.limits: min must be below max`);
    problems.push(...checkRanges(m).map((p) => `metrics.${name}.${p}`));
    for (const [i, u] of m.alternativeUnits.entries()) {
      if (!canConvert(u, m.unit)) problems.push(`metrics.${name}.alternativeUnits.${i}: no known conversion from ${u} to ${m.unit}`);
    }
  }
  for (const [i, r] of p.rules.entries()) {
    for (const key of ['metric', 'than'] as const) {
      if (!declared.has(r[key])) problems.push(`rules.${i}.${key}: "${r[key]}" is not a metric of this profile`);
    }
  }
  for (const [i, a] of p.alerts.entries()) {
    if (!declared.has(a.metric)) problems.push(`alerts.${i}.metric: "${a.metric}" is not a metric of this profile`);
  }
  for (const [i, f] of (p.fhir?.forward ?? []).entries()) problems.push(...checkForward(f, p).map((m) => `fhir.forward.${i}.${m}`));
  const average = p.fhir?.homeBloodPressureAverage;
  if (average !== undefined && !(p.fhir?.forward ?? []).some((f) => f.observation === 'blood-pressure' && f.summary === undefined)) {
    problems.push('fhir.homeBloodPressureAverage: needs a blood-pressure forward (without summary) to average');
  }
  if (average !== undefined && average.minDays > average.runDays) problems.push('fhir.homeBloodPressureAverage.minDays: must not exceed runDays');
  if (p.payload.format === 'vendor') {
    for (const [name, v] of Object.entries(p.payload.values)) {
      const spec = p.metrics[name];
      if (spec === undefined) problems.push(`payload.values.${name}: not a metric of this profile`);
      else if (v.unit !== undefined) {
        const ucum = toUcum(v.unit);
        if (ucum !== spec.unit && !spec.alternativeUnits.includes(ucum)) {
          problems.push(`payload.values.${name}.unit: ${v.unit} is not ${spec.unit} nor one of its alternative units`);
        }
      }
    }
  }
  for (const [i, m] of (p.ble?.measurements ?? []).entries()) {
    for (const [field, metric] of Object.entries(m.metrics)) {
      const at = `ble.measurements.${i}.metrics.${field}`;
      const spec = BLE_FIELDS[m.characteristic][field];
      const target = p.metrics[metric];
      if (spec === undefined) problems.push(`${at}: ${m.characteristic} has no numeric field "${field}" (one of ${Object.keys(BLE_FIELDS[m.characteristic]).join(', ')})`);
      else if (target === undefined) problems.push(`${at}: "${metric}" is not a metric of this profile`);
      else {
        for (const unit of spec.units) {
          if (unit !== target.unit && !target.alternativeUnits.includes(unit)) problems.push(`${at}: arrives in ${unit}, which is neither ${target.unit} nor one of its alternative units`);
        }
      }
    }
  }
  if (p.timeZone !== undefined && !isTimeZone(p.timeZone)) problems.push(`timeZone: "${p.timeZone}" is not an IANA time zone`);
  return problems;
}

/** Reference ranges nest: critical low ≤ normal low ≤ normal high ≤ critical high. */
function checkRanges(m: DeviceProfile['metrics'][string]): string[] {
  const { normal, critical } = m;
  const problems: string[] = [];
  const order = (a: number | undefined, b: number | undefined, what: string) => {
    if (a !== undefined && b !== undefined && a > b) problems.push(what);
  };
  order(normal?.low, normal?.high, 'normal: low must not exceed high');
  order(critical?.low, critical?.high, 'critical: low must not exceed high');
  order(critical?.low, normal?.low, 'critical.low: must not exceed normal.low');
  order(normal?.high, critical?.high, 'critical.high: must not be below normal.high');
  return problems;
}

/** A forwarded observation names metrics of the profile: systolic and diastolic for blood pressure, one metric otherwise. */
function checkForward(f: ForwardSpec, profile: DeviceProfile): string[] {
  const { metrics } = profile;
  const named = f.observation === 'blood-pressure' ? (['systolic', 'diastolic'] as const) : (['metric'] as const);
  const problems: string[] = [];
  for (const key of named) {
    const metric = f[key];
    const unit = metric === undefined ? undefined : metrics[metric]?.unit;
    if (metric === undefined) problems.push(`${key}: required for ${f.observation}`);
    else if (unit === undefined) problems.push(`${key}: "${metric}" is not a metric of this profile`);
    else if (unit !== OBSERVATION_UNITS[f.observation]) problems.push(`${key}: ${f.observation} is forwarded in ${OBSERVATION_UNITS[f.observation]}, but "${metric}" is stored in ${unit}`);
  }
  for (const key of ['metric', 'systolic', 'diastolic'] as const) {
    if (!(named as readonly string[]).includes(key) && f[key] !== undefined) problems.push(`${key}: not used by ${f.observation}`);
  }
  // Continuous streams reach the record as summaries, never sample by sample.
  if (profile.sampling === 'continuous' && f.summary === undefined) problems.push('summary: a continuous stream is forwarded as window summaries');
  if (f.summary !== undefined && f.observation === 'blood-pressure') problems.push('summary: blood pressure is forwarded reading by reading');
  // [LOINC 41950-7] steps are counted per 24 hours: a daily sum.
  if (f.observation === 'steps' && (f.summary?.windowMinutes !== 1440 || f.summary.statistics.join() !== 'sum')) {
    problems.push('summary: steps are forwarded as a daily sum ({ "windowMinutes": 1440, "statistics": ["sum"] })');
  }
  return problems;
}
