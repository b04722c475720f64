import { gatewayVersion } from '../config/index.js';
import { exportBundle, exportNdjson, patientObservations } from '../outputs/fhir/index.js';
import { fhirServiceId } from '../outputs/planner.js';
import { loadProfiles } from '../profiles/index.js';
import { patientOption, withAnyStore, type GlobalOptions } from './context.js';
import { stdout } from './output.js';

/**
 * `vitals-gateway fhir export --patient <nhs>`: the patient's Observations as the gateway holds
 * them — a transaction Bundle that any FHIR R4 server can load (again and again: every entry is a
 * conditional create), or NDJSON. Works with or without a FHIR server configured.
 */
export async function fhirExport(global: GlobalOptions, o: { patient: string; ndjson?: boolean | undefined }): Promise<void> {
  const nhs = patientOption(o.patient);
  await withAnyStore(global, async (store, config) => {
    const serials = new Map((await store.devices.list({ patientNhs: nhs })).map((d) => [d.id, d.serial]));
    const source = { gatewayId: fhirServiceId(config), gatewayVersion: gatewayVersion(), profiles: loadProfiles(config.profilesDir), serialOf: (id: string) => serials.get(id) };
    const planned = patientObservations(source, await store.readings.query({ patientNhs: nhs }), await store.derived.ofPatient(nhs));
    if (o.ndjson) process.stdout.write(exportNdjson(planned));
    else stdout.json(exportBundle(planned));
  });
}
