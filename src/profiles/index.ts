/**
 * Device profiles: the data files in `device-profiles/` that say what a device model measures, in
 * which units and limits, at what rate, and in which payload shape. Loading validates them
 * strictly; mapping turns any declared payload shape into canonical readings.
 */
export { DeviceProfileSchema, type AlertRuleSpec, type DeviceProfile, type BleSpec, type ForwardSpec, type MetricSpec, type ObservationKind, OBSERVATION_UNITS } from './schema.js';
export { loadProfiles, checkProfile, type ProfileCatalog } from './loader.js';
export { mapPayload, readPath } from './mapping.js';
export { CorrectionPayloadSchema, parsePayload, StatusPayloadSchema, type CorrectionPayload, type PayloadSchema, type StatusPayload } from './canonical.js';
