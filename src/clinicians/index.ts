/** Clinician accounts: credentials for the broker and the patients whose alerts each receives. */
export { ClinicianRegistry } from './registry.js';
