import type { Config } from '../config/index.js';
import { gatewayVersion } from '../config/index.js';
import { allOutputs, noOutputs, type OutputPlanner } from '../pipeline/index.js';
import { fhirPlanner } from './fhir/index.js';
import { influxPlanner } from './influx/index.js';
import { loadSecretKey } from './secret-key.js';

/** The name the FHIR output's records are made under (`fhir.serviceId`, else `gatewayId`). */
export const fhirServiceId = (config: Config): string => config.fhir.serviceId ?? config.gatewayId;

/** The outbox entries every stored (or corrected) reading needs, for the outputs configured. */
export function outputPlanner(config: Config & { pseudonymKeyFile: string }, keys: { create?: boolean } = {}): OutputPlanner {
  const planners: OutputPlanner[] = [];
  if (config.influx.url !== undefined) planners.push(influxPlanner(loadSecretKey(config.pseudonymKeyFile, keys)));
  if (config.fhir.url !== undefined) planners.push(fhirPlanner({ id: fhirServiceId(config), version: gatewayVersion() }));
  return planners.length === 0 ? noOutputs : allOutputs(planners);
}
