import type { Config } from '../config/index.js';
import { gatewayVersion } from '../config/index.js';
import { allOutputs, noOutputs, type OutputPlanner } from '../pipeline/index.js';
import { fhirPlanner } from './fhir/index.js';
import { influxPlanner } from './influx/index.js';
import { loadSecretKey } from './secret-key.js';

/** The outbox entries every stored (or corrected) reading needs, for the outputs configured. */
export function outputPlanner(config: Config & { pseudonymKeyFile: string }, keys: { create?: boolean } = {}): OutputPlanner {
  const planners: OutputPlanner[] = [];
  if (config.influx.url !== undefined) planners.push(influxPlanner(loadSecretKey(config.pseudonymKeyFile, keys)));
  if (config.fhir.url !== undefined) planners.push(fhirPlanner({ id: config.gatewayId, version: gatewayVersion() }));
  return planners.length === 0 ? noOutputs : allOutputs(planners);
}
