/**
 * FHIR R4 output: readings a profile forwards become Observations (vital-signs profiles, UK Core
 * codes, PHD-style identifiers and provenance tags), validated, queued in the durable outbox with
 * the reading, and sent to the care record in transactions of conditional creates — once, through
 * outages and restarts.
 */
export { bearerAuth, ClientCredentialsAuth, noAuth, type ClientCredentials } from './auth.js';
export { learnIds, transaction, type KnownIds, type Transaction } from './bundle.js';
export { FhirClient, retryAfterMs, type FhirAuth, type FhirClientOptions } from './client.js';
export { CODES, BP_COMPONENTS, LOINC, SNOMED, UCUM, NHS_NUMBER } from './codes.js';
export { deviceResource, hashUuid, interpretationCode, observationOfMetric, readingObservations, VG, type PlannedObservation, type ReadingOrigin } from './observation.js';
export { FHIR_SINK, FhirDelivery, fhirOutputSender, fhirPlanner } from './output.js';
export { FhirValidator, type ResourceProblem } from './validate.js';
export { DERIVATION_NAME, Derivations, type DerivationOptions, type DerivationSource } from './derivations.js';
export { averageBpObservation, summaryObservation } from './derived.js';
export { exportBundle, exportNdjson, patientObservations, type ExportSource } from './export.js';
export { alertFlag, alertsInCareRecord, FLAG_DETAIL, FLAG_PRIORITY, type PlannedFlag } from './flag.js';
export type { PlannedResource } from './bundle.js';
