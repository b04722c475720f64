import { GatewayError } from '../domain/index.js';
import { loadProfiles } from '../profiles/index.js';
import type { PgStore } from '../store/postgres/index.js';
import type { SqliteStore } from '../store/sqlite/index.js';
import { commandConfig, patientOption, withAnyStore, type GlobalOptions } from './context.js';
import { isoTime, stdout } from './output.js';

type Json = { json?: boolean | undefined };

/** Opens the store (either kind) and checks the clinician making the change exists. */
function asClinician<T>(global: GlobalOptions, by: string, fn: (store: SqliteStore | PgStore) => Promise<T>): Promise<T> {
  return withAnyStore(global, async (store) => {
    if ((await store.clinicians.get(by)) === undefined) throw new GatewayError('GW_CLINICIAN_UNKNOWN', `--by: no clinician ${by}`);
    return fn(store);
  });
}

/**
 * `vitals-gateway patients override --patient <nhs> --rule <id> --above|--below <n> [--clear-at <n>] --by <clinician>`:
 * this patient's threshold for a profile alert rule (e.g. a personal BP limit), kept with who set it and when.
 */
export async function patientsOverride(global: GlobalOptions, o: { patient: string; rule: string; above?: number | undefined; below?: number | undefined; clearAt?: number | undefined; by: string } & Json): Promise<void> {
  const patientNhs = patientOption(o.patient);
  if ((o.above === undefined) === (o.below === undefined)) throw new GatewayError('GW_INPUT_INVALID', 'give exactly one of --above and --below');
  if (o.clearAt !== undefined && (o.above !== undefined ? o.clearAt > o.above : o.clearAt < (o.below as number))) {
    throw new GatewayError('GW_INPUT_INVALID', '--clear-at must lie on the normal side of the threshold');
  }
  const config = commandConfig(global);
  const rules = [...loadProfiles(config.profilesDir).values()].flatMap((p) => p.alerts.map((a) => a.id));
  if (!rules.includes(o.rule)) throw new GatewayError('GW_INPUT_INVALID', `--rule: no profile has an alert rule "${o.rule}" (known: ${[...new Set(rules)].join(', ')})`);
  await asClinician(global, o.by, async (store) => {
    const override = { patientNhs, ruleId: o.rule, above: o.above, below: o.below, clearAt: o.clearAt, setBy: o.by, setAtMs: Date.now() };
    await store.patients.setOverride(override);
    if (o.json) stdout.json(override);
    else stdout.line(`rule ${o.rule} for this patient: ${o.above !== undefined ? `above ${o.above}` : `below ${String(o.below)}`}${o.clearAt !== undefined ? `, clears at ${o.clearAt}` : ''} (set by ${o.by})`);
  });
}

/** `vitals-gateway patients settings --patient <nhs> --spo2-scale <1|2> --by <clinician>`. */
export async function patientsSettings(global: GlobalOptions, o: { patient: string; spo2Scale: number; by: string } & Json): Promise<void> {
  const patientNhs = patientOption(o.patient);
  if (o.spo2Scale !== 1 && o.spo2Scale !== 2) throw new GatewayError('GW_INPUT_INVALID', '--spo2-scale: 1 or 2 [NEWS2 chart 1]');
  await asClinician(global, o.by, async (store) => {
    const settings = { patientNhs, spo2Scale: o.spo2Scale as 1 | 2, setBy: o.by, setAtMs: Date.now() };
    await store.patients.setSettings(settings);
    if (o.json) stdout.json(settings);
    else stdout.line(`NEWS2 SpO2 scale ${o.spo2Scale} for this patient (set by ${o.by})`);
  });
}

/** `vitals-gateway patients show --patient <nhs>`: the patient's overrides, settings and clinicians. */
export async function patientsShow(global: GlobalOptions, o: { patient: string } & Json): Promise<void> {
  const patientNhs = patientOption(o.patient);
  await withAnyStore(global, async (store) => {
    const overrides = await store.patients.overrides(patientNhs);
    const settings = await store.patients.settings(patientNhs);
    const clinicians = (await store.clinicians.cliniciansOf(patientNhs)).map((c) => c.id);
    if (o.json) return stdout.json({ patient: patientNhs, clinicians, settings: settings ?? null, overrides });
    stdout.line(`clinicians: ${clinicians.join(', ') || 'none'}; NEWS2 SpO2 scale ${settings?.spo2Scale ?? 1}${settings !== undefined ? ` (set by ${settings.setBy} at ${isoTime(settings.setAtMs) ?? ''})` : ''}`);
    stdout.table(overrides.map((r) => ({ rule: r.ruleId, above: r.above, below: r.below, clearAt: r.clearAt, setBy: r.setBy, setAt: isoTime(r.setAtMs) })), 'no overrides');
  });
}
