/**
 * Device simulators: simulated health devices that connect to the gateway over MQTT like real
 * ones (one client per device, its own credentials), publish realistic, seeded readings in their
 * profile's payload shape, and on request the faults real devices make. `runSimulation` is the
 * programmatic entry; `main.ts` the command line (`npm run simulate -- --help`).
 */
export { runSimulation, type SimulationSummary } from './simulation.js';
export type { SimulationOptions } from './options.js';
export type { Summary } from './tally.js';
export type { DeviceCredentials } from './credentials.js';
export { readCredentials, writeCredentials } from './credentials.js';
export { FaultKind, EXPECTED_CODE } from './faults.js';
export { testNhsNumbers } from './nhs.js';
export { seededRandom, type Random } from './random.js';
