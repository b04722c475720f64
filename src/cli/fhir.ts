import { gatewayVersion } from '../config/index.js';
import { GatewayError, parseNhsNumber } from '../domain/index.js';
import { exportBundle, exportNdjson, patientObservations } from '../outputs/fhir/index.js';
import { loadProfiles } from '../profiles/index.js';
import { SqliteStore } from '../store/sqlite/index.js';
import { commandConfig, type GlobalOptions } from './context.js';
import { stdout } from './output.js';

/**
 * `vitals-gateway fhir export --patient <nhs>`: the patient's Observations as the gateway holds
 * them — a transaction Bundle that any FHIR R4 server can load (again and again: every entry is a
 * conditional create), or NDJSON. Works with or without a FHIR server configured.
 */
export function fhirExport(global: GlobalOptions, o: { patient: string; ndjson?: boolean | undefined }): void {
  const nhs = parseNhsNumber(o.patient);
  if (!nhs.ok) throw new GatewayError('GW_NHS_NUMBER_INVALID', `--patient: ${nhs.error}`);
  const config = commandConfig(global);
  const profiles = loadProfiles(config.profilesDir);
  const store = new SqliteStore(config.dbFile);
  try {
    const source = { gatewayId: config.gatewayId, gatewayVersion: gatewayVersion(), profiles, serialOf: (id: string) => store.devices.get(id)?.serial };
    const planned = patientObservations(source, store.readings.query({ patientNhs: nhs.value }), store.derived.ofPatient(nhs.value));
    if (o.ndjson) process.stdout.write(exportNdjson(planned));
    else stdout.json(exportBundle(planned));
  } finally {
    store.close();
  }
}
