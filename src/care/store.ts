import type { EitherPort } from '../store/async-port.js';
import type { ApiTokenStore, AuditTrail, CareViews, OptOutStore } from '../store/care-views.js';
import type { ClinicianStore } from '../store/clinician-store.js';
import type { DeviceStore } from '../store/device-store.js';
import type { OutboxStore } from '../store/outbox-store.js';
import type { PatientStore } from '../store/patient-store.js';
import type { AlertStore, DeadLetterStore, ReadingStore } from '../store/reading-store.js';

/**
 * The store as the care service, administration and the web app use it: the parts of the store's
 * ports they read and set, from either adapter (the embedded SQLite store answers at once, the
 * PostgreSQL one with promises; every answer is awaited). Durable changes with readings go through
 * the group commit, never through these.
 */
export interface CareStore {
  readonly readings: EitherPort<Pick<ReadingStore, 'query' | 'readingOf'>>;
  readonly devices: EitherPort<Pick<DeviceStore, 'get' | 'list'>>;
  readonly alerts: EitherPort<Pick<AlertStore, 'get' | 'list' | 'unresolved' | 'events'>>;
  readonly clinicians: EitherPort<Pick<ClinicianStore, 'get' | 'patientsOf' | 'cliniciansOf' | 'assign' | 'unassign' | 'revoke'>>;
  readonly patients: EitherPort<Pick<PatientStore, 'settings' | 'allSettings' | 'overrides' | 'setOverride' | 'setSettings'>>;
  readonly outbox: EitherPort<Pick<OutboxStore, 'stats' | 'requeue'>>;
  readonly deadLetters: EitherPort<Pick<DeadLetterStore, 'list'>>;
  readonly views: EitherPort<CareViews>;
  readonly audit: EitherPort<AuditTrail>;
  readonly tokens: EitherPort<ApiTokenStore>;
  readonly research: EitherPort<Pick<OptOutStore, 'optOut' | 'setOptOut'>>;
}
