import type { Issue, Reading, ReadingRow } from '../domain/index.js';
import type { QueuedOutboxEntry } from './outbox-store.js';

/** A message the gateway could not accept (or not wholly), kept for inspection and replay. */
export interface DeadLetter {
  readonly deviceId: string | undefined;
  readonly topic: string;
  readonly receivedAtMs: number;
  readonly payload: Buffer;
  readonly issues: readonly Issue[];
}

/** A dead letter as kept: large payloads are cut to their first 64 KiB, with their size and SHA-256. */
export interface StoredDeadLetter {
  readonly id: number;
  readonly deviceId: string | undefined;
  readonly topic: string;
  readonly receivedAtMs: number;
  readonly payload: Buffer;
  readonly payloadBytes: number;
  readonly payloadSha256: string;
  readonly issues: Issue[];
}

/** The dead letters: written with the commit that refuses them, read newest first. */
export interface DeadLetterStore {
  /** Inside the commit's transaction. */
  insert(d: DeadLetter): void;
  list(filter?: { deviceId?: string; limit?: number }): StoredDeadLetter[];
}

/** Device health learned from traffic and the `status` topic. */
export interface HealthUpdate {
  readonly deviceId: string;
  readonly seenAtMs: number;
  readonly readingAtMs?: number;
  readonly clockOffsetMs?: number;
  readonly clockDrift?: boolean;
  readonly status?: {
    readonly batteryPct?: number | undefined;
    readonly signalDbm?: number | undefined;
    readonly firmware?: string | undefined;
  };
}

/**
 * Something an output must receive, written with the readings it carries: the batch's readings
 * `firstReading … firstReading + readingCount - 1`. The entry is kept only if one of them is new (a
 * duplicate reading sends nothing again); with `readingCount` 0 it is always kept (backfill).
 */
export interface OutboxEntry {
  readonly sink: string;
  /** A single line of text (no newline): the outbox stores a commit's payloads one per line. */
  readonly payload: string;
  readonly firstReading: number;
  readonly readingCount: number;
  /**
   * A delivery queue of its own within the sink (an alert's recipient): such an entry is stored as
   * a row of its own, delivered in order within its lane and retried apart from other lanes.
   */
  readonly lane?: string | undefined;
  /**
   * `line-protocol`: the payload is the start of an InfluxDB line-protocol line, its series key
   * (measurement and tags), and the store completes it from the entry's one reading
   * (`completeLines`). The thread serving MQTT then neither builds nor copies the rest.
   */
  readonly completion?: 'line-protocol' | undefined;
}

/** One payload of a delivered row that the output refused for good: kept alone as a dead entry. */
export interface RefusedItem {
  readonly sink: string;
  readonly payload: string;
  readonly error: string;
}

/**
 * What became of sent outbox entries: delivered (deleted; any payloads refused on their own kept
 * as dead entries), or refused for good as a whole (kept as dead).
 */
export type OutboxResult =
  | { readonly id: number; readonly delivered: true; readonly refused?: readonly RefusedItem[] }
  | { readonly id: number; readonly delivered: false; readonly error: string }
  /** A lane's pending entries created before `beforeMs` are kept as dead: undelivered for too long. */
  | { readonly expire: { readonly sink: string; readonly lane: string; readonly beforeMs: number; readonly error: string } };

/** A stored reading's lifecycle [FHIR R4 observation-status]: as received, corrected, or retracted. */
export type ReadingStatus = 'final' | 'amended' | 'entered-in-error';

/** A correction of one stored reading, applied with the commit that carries it. */
export interface Correction {
  readonly deviceId: string;
  /** The reading's key. */
  readonly readingKey: string;
  readonly action: 'retract' | 'amend';
  /** metric → value before and (amend) after, canonical units. */
  readonly before: Readonly<Record<string, number>>;
  readonly after: Readonly<Record<string, number>> | undefined;
  readonly reason: string | undefined;
  /** `device:<id>` or `cli:<user>`. */
  readonly requestedBy: string;
  readonly atMs: number;
}

/** An Observation derived from many readings, as stored. */
export interface DerivedRecord {
  /** e.g. `summary|<device>|heart-rate|<start>` or `hbpm|<nhs>|<start>`. */
  readonly key: string;
  readonly patientNhs: string;
  readonly periodStartMs: number;
  readonly periodEndMs: number;
  /**
   * `preliminary` while its period is open (nothing sent), then `final`, `amended` or
   * `entered-in-error`; `insufficient` when the closed period held too little to derive anything.
   */
  readonly status: 'preliminary' | 'insufficient' | 'final' | 'amended' | 'entered-in-error';
  /** What it was computed from (compared to detect a change). */
  readonly content: string;
  /** The planned Observation (JSON), once there is one. */
  readonly observation: string | undefined;
  readonly updatedAtMs: number;
}

/** A stored value as a derivation reads it. */
export interface DerivationInput {
  readonly id: number;
  readonly deviceId: string;
  readonly patientNhs: string;
  readonly profileId: string;
  readonly metric: string;
  readonly value: number;
  readonly takenAtMs: number;
  readonly status: ReadingStatus;
}

/** Where a derivation has read up to. */
export interface DerivationState {
  readonly name: string;
  readonly lastReadingId: number;
  readonly lastCorrectionId: number;
}

export type AlertState = 'open' | 'acknowledged' | 'resolved';

/** An alert as stored. */
export interface AlertRecord {
  readonly id: string;
  /** The condition it is about: `<patient>|<device>|<rule>`; one unresolved alert per key. */
  readonly key: string;
  readonly patientNhs: string;
  readonly deviceId: string | undefined;
  readonly ruleId: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly state: AlertState;
  readonly message: string;
  readonly value: number | undefined;
  readonly openedAtMs: number;
  readonly updatedAtMs: number;
  /** How many contacts past the patient's clinicians it has been escalated to (default 0). */
  readonly escalationLevel?: number;
  /** Escalation waits until then (a clinician snoozed it). */
  readonly snoozedUntilMs?: number | undefined;
  /** Identifier of the Observation whose value raised it (with the FHIR output on): the Flag points at it. */
  readonly observationId?: string | undefined;
  /** The colleague it is assigned to (an account id), if any. */
  readonly assignedTo?: string | undefined;
  /**
   * When the reading that opened it (or last changed it) was taken: a reading taken earlier that
   * arrives later (a device's backlog, another worker's share) never resolves it.
   */
  readonly sampleAtMs?: number | undefined;
}

/** One entry of an alert's trail. */
export interface AlertEvent {
  readonly at: number;
  readonly state: AlertState;
  readonly by: string;
  readonly note: string | undefined;
}

/**
 * The alerts and their trails, written with the commit that causes them. At most one unresolved
 * alert per key: a second is refused (and with it the whole commit).
 */
export interface AlertStore {
  /** Inside the commit's transaction: each alert as it now stands, and its trail entry. */
  apply(changes: readonly AlertChange[]): void;
  /** Inside the commit's transaction: duration-rule breaches begun (with a time) and ended (without). */
  applyBreaches(breaches: readonly BreachStart[]): void;
  breaches(): BreachStart[];
  /** Oldest opened first. */
  unresolved(): AlertRecord[];
  get(id: string): AlertRecord | undefined;
  /** Newest opened first. */
  list(filter?: { patientNhs?: string | undefined; open?: boolean | undefined; limit?: number | undefined }): AlertRecord[];
  /** An alert's trail, oldest first. */
  events(id: string): AlertEvent[];
}

/** One change of an alert's state, stored with the alert as it stands after it (audit trail). */
export interface AlertChange {
  readonly alert: AlertRecord;
  readonly by: string;
  readonly note: string | undefined;
  /**
   * Gateways sharing a store: the change was planned on the alert as last updated at this time, and
   * is refused (`GW_ALERT_CONFLICT`, the commit planned afresh) if another gateway changed it since.
   */
  readonly ifUpdatedAtMs?: number | undefined;
}

/**
 * When a breach of a duration rule began (`sinceMs`), or that it ended (undefined): kept so that
 * a restart does not restart the count ("above 130 for 5 minutes").
 */
export interface BreachStart {
  /** The condition's key (patient, device, rule). */
  readonly key: string;
  readonly sinceMs: number | undefined;
}

/** Everything one group commit writes, in one durable transaction. */
export interface CommitBatch {
  readonly readings: readonly Reading[];
  readonly deadLetters: readonly DeadLetter[];
  readonly health: readonly HealthUpdate[];
  readonly outbox?: readonly OutboxEntry[];
  readonly outboxResults?: readonly OutboxResult[];
  readonly corrections?: readonly Correction[];
  readonly derived?: readonly DerivedRecord[];
  readonly derivationState?: readonly DerivationState[];
  readonly alerts?: readonly AlertChange[];
  readonly breaches?: readonly BreachStart[];
  /** Views and changes of patient data by people (the audit trail), kept with what they caused. */
  readonly audit?: readonly AuditEntry[];
  /** "Reviewed" marks on patients. */
  readonly reviews?: readonly PatientReview[];
}

/** One view or change of patient data, or an attempt refused: who, when, what, from where. */
export interface AuditEntry {
  readonly atMs: number;
  /** Account id (`cli:<user>` from the command line). */
  readonly actor: string;
  readonly role: string;
  /** What was done, e.g. `patient.view`, `alert.acknowledge`, `sign-in`. */
  readonly action: string;
  readonly patientNhs: string | undefined;
  /** What it was done to (an alert id, a device id, a reading id), if not the patient itself. */
  readonly target: string | undefined;
  /** The caller's network address. */
  readonly address: string | undefined;
  readonly outcome: 'ok' | 'refused';
}

/** A clinician marked a patient's data reviewed. */
export interface PatientReview {
  readonly patientNhs: string;
  readonly by: string;
  readonly atMs: number;
}

/** What a commit stored. */
export interface CommitReceipt {
  /** For each reading of the batch (same order): true if stored now, false if its idempotency key was already there. */
  readonly inserted: readonly boolean[];
  /** The outbox rows it added (laned ones aside), in id order: a sender in this process sends them without reading them back. */
  readonly outbox?: readonly QueuedOutboxEntry[];
}

export interface StoredReading extends ReadingRow {
  readonly id: number;
  readonly status: ReadingStatus;
  /** The value as first stored, when it has been amended since. */
  readonly firstValue?: number;
}

export interface ReadingQuery {
  readonly patientNhs?: string | undefined;
  readonly deviceId?: string | undefined;
  readonly metric?: string | undefined;
  readonly sinceMs?: number | undefined;
  readonly limit?: number | undefined;
}

/** The durable store of readings. `commit` returns only once the batch is durable. */
export interface ReadingStore {
  commit(batch: CommitBatch): CommitReceipt;
  query(q: ReadingQuery): StoredReading[];
  /** The rows of one reading: those sharing the given row's device, device time and message. */
  readingOf(rowId: number): StoredReading[];
  /** The rows a device stored for the measurement taken at `deviceTakenAtMs` (its own clock). */
  readingsAt(deviceId: string, deviceTakenAtMs: number): StoredReading[];
  /** Which of these idempotency keys are stored. */
  existingKeys(keys: readonly string[]): Set<string>;
  /** Corrections after the one with id `afterId`, with the patient each is about, oldest first. */
  correctionsSince(afterId: number): { id: number; patientNhs: string }[];
  /** The id of the latest correction (0 with none). */
  latestCorrectionId(): number;
}
