import { gatewayVersion } from '../config/index.js';
import { exportBundle, exportNdjson, patientObservations } from '../outputs/fhir/index.js';
import { fhirServiceId } from '../outputs/planner.js';
import { loadProfiles } from '../profiles/index.js';
import { patientOption, withStore, type GlobalOptions } from './context.js';
import { stdout } from './output.js';

/**
 * `vitals-gateway fhir export --patient <nhs>`: the patient's Observations as the gateway holds
 * them — a transaction Bundle that any FHIR R4 server can load (again and again: every entry is a
 * conditional create), or NDJSON. Works with or without a FHIR server configured.
 */
export function fhirExport(global: GlobalOptions, o: { patient: string; ndjson?: boolean | undefined }): void {
  const nhs = patientOption(o.patient);
  withStore(global, (store, config) => {
    const source = { gatewayId: fhirServiceId(config), gatewayVersion: gatewayVersion(), profiles: loadProfiles(config.profilesDir), serialOf: (id: string) => store.devices.get(id)?.serial };
    const planned = patientObservations(source, store.readings.query({ patientNhs: nhs }), store.derived.ofPatient(nhs));
    if (o.ndjson) process.stdout.write(exportNdjson(planned));
    else stdout.json(exportBundle(planned));
  });
}
