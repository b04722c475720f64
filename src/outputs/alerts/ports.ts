/**
 * The store as the alert rules engine reads it: its own (the embedded SQLite file), or one several
 * gateways share (workers on PostgreSQL).
 */
import type { DeviceProfile } from '../../profiles/index.js';
import type { DeviceActivity } from '../../store/device-store.js';
import type { AlertChange, AlertRecord, BreachStart } from '../../store/reading-store.js';
import type { Recipient } from './delivery.js';

/** A device with its profile, as the silence check sees it. */
export type Activity = DeviceActivity & { profile: DeviceProfile };

/**
 * The store as several gateways share it (workers on PostgreSQL): each sees a share of every
 * patient's readings and alerts, so what one remembers is not the truth. Before each plan the
 * engine reads, for the patients the commit is about (every patient when it carries other work),
 * what is open, the running breaches, the NEWS2 inputs, and which rows are stored already; its
 * changes to alerts it read carry the time they were planned on (`ifUpdatedAtMs`).
 */
export interface SharedAlertStore {
  readonly shared: true;
  /** Their running breaches only when `breaches` is true (duration rules are rare: otherwise none is read). */
  conditionsOf(patients: readonly string[] | undefined, options: { breaches: boolean }): Promise<{ alerts: readonly AlertRecord[]; breaches: readonly BreachStart[] }>;
  /** The latest value of each of `metrics` per patient, taken at or after `sinceMs`, not retracted. */
  latestValues(patients: readonly string[], metrics: readonly string[], sinceMs: number): Promise<readonly { patientNhs: string; metric: string; value: number; takenAtMs: number }[]>;
  /** Which of these reading keys are stored already. */
  existingKeys(keys: readonly string[]): Promise<ReadonlySet<string>>;
  recipientsOf(change: AlertChange): Promise<readonly Recipient[]>;
  activity(): Promise<readonly Activity[]>;
  /** Corrections made since `afterId` (by any worker or the command line), with their patients; and the latest id. */
  correctionsSince(afterId: number): Promise<readonly { id: number; patientNhs: string }[]>;
  latestCorrectionId(): Promise<number>;
}

/**
 * The store as one gateway owns it (the embedded SQLite file): read at once, and between commits
 * what the engine remembers of it is the truth.
 */
export interface OwnAlertStore {
  readonly shared?: false;
  /** Every alert not yet resolved, and the running breaches of duration rules (the state after a restart). */
  unresolved(): readonly AlertRecord[];
  breaches(): readonly BreachStart[];
  recipientsOf(change: AlertChange): readonly Recipient[];
  /** Which of these idempotency keys are stored already (a duplicate changes nothing). */
  existing(keys: readonly string[]): ReadonlySet<string>;
}
