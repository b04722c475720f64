/**
 * Domain: the vocabulary every other module shares — readings, issues, coded errors, units,
 * NHS numbers, idempotency keys and the clock. No I/O lives here.
 */
export * from './result.js';
export * from './issue.js';
export * from './errors.js';
export * from './clock.js';
export * from './time-zone.js';
export * from './nhs-number.js';
export * from './units.js';
export * from './reading.js';
export * from './idempotency.js';
export * from './pseudonym.js';
export { backoffMs } from './backoff.js';
