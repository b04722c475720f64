import { createHash } from 'node:crypto';
import { atPath, err, IssueCode, issue, ok, type CanonicalReading, type Clock, type Issue, type Reading, type ReadingRow, type Result } from '../domain/index.js';
import { CorrectionPayloadSchema, mapPayload, parsePayload, StatusPayloadSchema, type DeviceProfile, type PayloadSchema } from '../profiles/index.js';
import type { EitherPort } from '../store/async-port.js';
import type { CommitBatch, DeadLetter, HealthUpdate, OutboxEntry, ReadingStore } from '../store/reading-store.js';
import { planCorrection } from './correct.js';
import type { CommitQueue, Mutable } from './commit-queue.js';
import { decodeJson } from './decode.js';
import type { FloodGuard } from './flood-guard.js';
import type { RateLimiter } from './rate-limit.js';
import { parseTimestamp } from './time.js';
import { Turns } from './turns.js';
import { validateReading } from './validate.js';

/** Who sent a message: bound at authentication, never taken from the payload. */
export interface DeviceContext {
  readonly deviceId: string;
  readonly patientNhs: string;
  readonly profile: DeviceProfile;
  /** The manufacturer's serial number, when registered. */
  readonly serial?: string | undefined;
}

/** What happened to one message. `issues` non-empty means (part of) it was rejected. */
export interface IngestOutcome {
  readonly messageId: string | undefined;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly issues: readonly Issue[];
  readonly clockDrift: boolean;
  /** The device flooded (FloodGuard): close its connection. */
  readonly disconnect?: boolean;
  /** Not taken at all (the device is banned for flooding): send no PUBACK, so the device keeps it. */
  readonly unacknowledged?: boolean;
}

/** A message's admission: go on (`undefined`), refused (why; `flooded`: the refusal that bans the device), or the device is banned. */
type Admitted = { readonly issues: Issue[]; readonly flooded: boolean } | undefined | typeof BANNED;
const BANNED = 'banned';

/** Counters the pipeline reports; implemented over prom-client in observability/. */
export interface IngestMetrics {
  readingsAccepted(profileId: string, values: number): void;
  readingsDuplicate(profileId: string, values: number): void;
  messageRejected(codes: readonly string[]): void;
  clockDrift(profileId: string): void;
  readingCorrected(action: 'retract' | 'amend'): void;
  /** A message beyond its device's per-minute allowance, held `delayMs` before it goes on (back-pressure). */
  messageSlowed?(delayMs: number): void;
}

/** Finds stored readings to correct. */
export type ReadingLookup = Pick<EitherPort<ReadingStore>, 'readingsAt'>;

/**
 * What one stored reading must also be sent to, as outbox entries (e.g. a time-series point, an
 * Observation). `payload` is the raw message that carried it.
 */
export type OutputPlanner = (device: DeviceContext, reading: Reading, payload: Buffer, correction?: CorrectionContext) => readonly PlannedOutput[];

/**
 * An outbox entry for one reading. `completion` only for a new reading (the store completes the
 * entry from it, in the same commit), never for a corrected one.
 */
export type PlannedOutput = Pick<OutboxEntry, 'sink' | 'payload' | 'completion'>;

/** Planning for a corrected reading: the reading as corrected; `original` its values as first stored. */
export interface CorrectionContext {
  readonly status: 'amended' | 'entered-in-error';
  readonly original: readonly ReadingRow[];
}

/** The one empty list the pipeline hands out: shared and frozen (see {@link exact}). */
const NONE: readonly never[] = Object.freeze([]);

/** No outputs configured. */
export const noOutputs: OutputPlanner = () => NONE;

/** Every planner's entries, in order (one planner is used as it is: this runs for every reading). */
export function allOutputs(planners: readonly OutputPlanner[]): OutputPlanner {
  const [only] = planners;
  if (planners.length === 1 && only !== undefined) return only;
  return (device, reading, payload, correction) => {
    const out: PlannedOutput[] = [];
    for (const plan of planners) for (const entry of plan(device, reading, payload, correction)) out.push(entry);
    return out;
  };
}

/** A readings message checked and turned into store work. */
interface ReadingsPlan {
  readonly work: CommitBatch;
  /** The message's id, when it carried one reading. */
  readonly messageId: string | undefined;
  /** Readings of the message refused, and why. */
  readonly rejected: number;
  readonly issues: readonly Issue[];
  readonly clockDrift: boolean;
}

/**
 * What a message holds while it waits for its commit is kept small: thousands wait at once, and
 * each scavenge copies what is still alive (then promotes it to the old generation). An array grown
 * by `push` keeps room for 16 (some 130 bytes more than one holding its items exactly), so lists are
 * kept as exact copies, and empty ones as {@link NONE}.
 */
const exact = <T>(list: T[]): readonly T[] => (list.length === 0 ? NONE : list.slice());

/** What else the pipeline does with stored readings. */
export interface IngestExtras {
  /** Outbox entries for the outputs (InfluxDB points, FHIR Observations). */
  readonly outputs?: OutputPlanner;
  /** Keep each message's SHA-256 with its readings (the FHIR output states it as provenance). */
  readonly payloadHashes?: boolean;
  /**
   * Pace each device's messages beyond its allowance (default). Off for workers on an external
   * broker: there one held acknowledgement stalls a whole shared connection, so the broker's own
   * per-client limits do the pacing.
   */
  readonly paced?: boolean;
  /** Waits `ms` of real time (a slowed message's turn); tests may pass their own. */
  readonly wait?: (ms: number) => Promise<void>;
}

export interface IngestLimits {
  readonly maxPayloadBytes: number;
  readonly maxBatchReadings: number;
  readonly maxFutureSkewMs: number;
  readonly clockDriftToleranceMs: number;
}

/**
 * The pipeline for one message: rate-limit → decode → map → validate → dedupe → store. Accepted
 * readings, the dead letter of anything rejected and the device's health go to the store in one group
 * commit; the returned promise settles only once that commit is durable.
 */
export class Ingestor {
  constructor(
    private readonly queue: CommitQueue,
    private readonly limiter: RateLimiter,
    private readonly flood: FloodGuard,
    private readonly clock: Clock,
    private readonly metrics: IngestMetrics,
    private readonly limits: IngestLimits,
    private readonly lookup: ReadingLookup,
    private readonly extras: IngestExtras = {},
  ) {}

  /** Admission in each device's arrival order. */
  private readonly turns = new Turns();

  private get outputs(): OutputPlanner {
    return this.extras.outputs ?? noOutputs;
  }

  /**
   * `devices/<id>/readings` (and readings the BLE bridge decoded: not rate-limited, since the
   * gateway itself fetches them — a meter's stored records arrive in one burst).
   */
  readings(device: DeviceContext, topic: string, payload: Buffer, options: { rateLimited?: boolean } = {}): Promise<IngestOutcome> {
    return promiseOf((done) => this.receiveReadings(device, topic, payload, done, options));
  }

  /**
   * {@link readings} told through `done` (called once) instead of a promise: what every MQTT
   * message takes. A message within its allowance makes no promise or closure beyond the one its
   * commit settles, so the thousands waiting for a commit hold less for the garbage collector to
   * copy.
   */
  receiveReadings(device: DeviceContext, topic: string, payload: Buffer, done: IngestDone, options: { rateLimited?: boolean } = {}): void {
    const receivedAtMs = this.clock.now();
    const admitted = (options.rateLimited ?? true) ? this.admission(device) : undefined;
    if (admitted instanceof Promise) {
      admitted.then(
        (refused) => this.admitted(device, topic, payload, receivedAtMs, refused, done),
        (error: unknown) => done(undefined, error),
      );
    } else this.admitted(device, topic, payload, receivedAtMs, admitted, done);
  }

  private admitted(device: DeviceContext, topic: string, payload: Buffer, receivedAtMs: number, refused: Admitted, done: IngestDone): void {
    if (refused === BANNED) return done(this.banned());
    if (refused !== undefined) return settleDone(this.reject(device, topic, payload, receivedAtMs, refused.issues, undefined, refused.flooded), done);
    let plan: ReturnType<Ingestor['planReadings']>;
    try {
      plan = this.planReadings(device, topic, payload, receivedAtMs);
    } catch (error) {
      return done(undefined, error);
    }
    if (!plan.ok) return settleDone(this.reject(device, topic, payload, receivedAtMs, plan.error.issues, plan.error.messageId), done);
    const planned = plan.value;
    this.queue.enqueue(planned.work, device, (inserted, from, error) => {
      if (inserted === undefined) return done(undefined, error);
      let outcome: IngestOutcome;
      try {
        outcome = this.stored(device, planned, inserted, from);
      } catch (failed) {
        return done(undefined, failed);
      }
      done(outcome);
    });
  }

  /**
   * Decode → map → validate, synchronously: what the message adds to the store. Its intermediate
   * forms (parsed JSON, canonical readings) die here, before the commit wait, so the thousands of
   * messages waiting for a commit hold only their readings.
   */
  private planReadings(
    device: DeviceContext,
    topic: string,
    payload: Buffer,
    receivedAtMs: number,
  ): Result<ReadingsPlan, { issues: Issue[]; messageId: string | undefined }> {
    const json = decodeJson(payload, this.limits.maxPayloadBytes);
    if (!json.ok) return err({ issues: json.error, messageId: undefined });
    const mapped = mapPayload(device.profile, json.value);
    if (!mapped.ok) return err({ issues: mapped.error, messageId: undefined });
    const readings = mapped.value;
    const messageId = readings.length === 1 ? readings[0]?.messageId : undefined;
    if (readings.length > this.limits.maxBatchReadings) {
      const why = `a batch may hold at most ${this.limits.maxBatchReadings} readings; this one has ${readings.length}`;
      return err({ issues: [issue(IssueCode.BatchTooLarge, '', why)], messageId });
    }

    const accepted: Reading[] = [];
    const outbox: OutboxEntry[] = [];
    const issues: Issue[] = [];
    let rejected = 0;
    let clockDrift = false;
    let clockOffsetMs: number | undefined;
    // Provenance for the care record: only Observations state it.
    const payloadSha256 = this.extras.payloadHashes === true && device.profile.fhir !== undefined ? createHash('sha256').update(payload).digest('hex') : undefined;
    const { maxFutureSkewMs, clockDriftToleranceMs } = this.limits;
    const ctx = { deviceId: device.deviceId, patientNhs: device.patientNhs, receivedAtMs, payloadSha256, maxFutureSkewMs, clockDriftToleranceMs };
    let readingAtMs = -Infinity;
    for (let i = 0; i < readings.length; i++) {
      const result = validateReading(device.profile, readings[i] as CanonicalReading, ctx);
      if (result.ok) {
        const reading = result.value.reading;
        if (reading.takenAtMs > readingAtMs) readingAtMs = reading.takenAtMs;
        for (const o of this.outputs(device, reading, payload)) outbox.push({ sink: o.sink, payload: o.payload, firstReading: accepted.length, readingCount: 1, completion: o.completion });
        accepted.push(reading);
        clockDrift ||= result.value.time.clockDrift;
        clockOffsetMs = result.value.time.clockOffsetMs ?? clockOffsetMs;
      } else {
        rejected += 1;
        issues.push(...(readings.length > 1 || Array.isArray(json.value) ? atPath(`[${i}]`, result.error) : result.error));
      }
    }
    // Made field by field: spreads of optional parts cost several times more, once per message.
    const health: Mutable<HealthUpdate> = { deviceId: device.deviceId, seenAtMs: receivedAtMs };
    if (accepted.length > 0) health.readingAtMs = readingAtMs;
    if (clockOffsetMs !== undefined) {
      health.clockOffsetMs = clockOffsetMs;
      health.clockDrift = clockDrift;
    }
    const deadLetters = issues.length > 0 ? [{ deviceId: device.deviceId, topic, receivedAtMs, payload, issues }] : NONE;
    return ok({ work: { readings: exact(accepted), deadLetters, health: [health], outbox: exact(outbox) }, messageId, rejected, issues: exact(issues), clockDrift });
  }

  /** What became of a committed message: its readings are `inserted[from]` onwards. Counts are of values. */
  private stored(device: DeviceContext, plan: ReadingsPlan, inserted: readonly boolean[], from: number): IngestOutcome {
    const { work, messageId, rejected, issues, clockDrift } = plan;
    const readings = work.readings;
    let stored = 0;
    let repeated = 0;
    for (let i = 0; i < readings.length; i++) {
      const values = (readings[i] as Reading).values.length;
      if (inserted[from + i] === true) stored += values;
      else repeated += values;
    }
    if (stored > 0) this.metrics.readingsAccepted(device.profile.id, stored);
    if (repeated > 0) this.metrics.readingsDuplicate(device.profile.id, repeated);
    if (issues.length > 0) this.metrics.messageRejected(issues.map((i) => i.code));
    if (clockDrift) this.metrics.clockDrift(device.profile.id);
    return { messageId, accepted: stored, duplicates: repeated, rejected, issues, clockDrift };
  }

  /** `devices/<id>/status`: battery, signal, firmware and the device's clock. */
  async status(device: DeviceContext, topic: string, payload: Buffer): Promise<IngestOutcome> {
    const head = await this.admitAndParse(device, topic, payload, StatusPayloadSchema);
    if (!head.ok) return head.error;
    const { receivedAtMs, value } = head.value;
    const { deviceTime, ...status } = value;
    let clock: Pick<HealthUpdate, 'clockOffsetMs' | 'clockDrift'> = {};
    if (deviceTime !== undefined) {
      const t = parseTimestamp(deviceTime, 'deviceTime', device.profile.timeZone);
      if (!t.ok) return this.reject(device, topic, payload, receivedAtMs, [t.error], undefined);
      const clockOffsetMs = receivedAtMs - t.value;
      clock = { clockOffsetMs, clockDrift: Math.abs(clockOffsetMs) > this.limits.clockDriftToleranceMs };
    }
    await this.queue.submit({ readings: [], deadLetters: [], health: [{ deviceId: device.deviceId, seenAtMs: receivedAtMs, status, ...clock }] });
    if (clock.clockDrift === true) this.metrics.clockDrift(device.profile.id);
    return { messageId: undefined, accepted: 0, duplicates: 0, rejected: 0, issues: [], clockDrift: clock.clockDrift ?? false };
  }

  /**
   * `devices/<id>/corrections`: retract or amend a reading this device sent. The correction is
   * stored with the reading's new state, and the outputs told (FHIR: the Observation becomes
   * `entered-in-error` or `amended`), in one commit. A repeated correction changes nothing.
   */
  async corrections(device: DeviceContext, topic: string, payload: Buffer): Promise<IngestOutcome> {
    const head = await this.admitAndParse(device, topic, payload, CorrectionPayloadSchema);
    if (!head.ok) return head.error;
    const { receivedAtMs, value: request } = head.value;
    const t = parseTimestamp(request.takenAt, 'takenAt', device.profile.timeZone);
    if (!t.ok) return this.reject(device, topic, payload, receivedAtMs, [t.error], request.messageId);
    const rows = (await this.lookup.readingsAt(device.deviceId, t.value)).filter((r) => request.messageId === undefined || r.messageId === request.messageId);
    const planned = planCorrection(device.profile, rows, { ...request, requestedBy: `device:${device.deviceId}` }, receivedAtMs);
    if (!planned.ok) return this.reject(device, topic, payload, receivedAtMs, planned.error, request.messageId);
    const { correction, corrected, original, status, unchanged } = planned.value;
    const outbox = unchanged ? [] : this.outputs(device, corrected, payload, { status, original }).map((o) => ({ ...o, firstReading: 0, readingCount: 0 }));
    const health = [{ deviceId: device.deviceId, seenAtMs: receivedAtMs }];
    await this.queue.submit({ readings: [], deadLetters: [], health, outbox, corrections: unchanged ? [] : [correction] }, device);
    if (!unchanged) this.metrics.readingCorrected(request.action);
    return { messageId: request.messageId, accepted: unchanged ? 0 : 1, duplicates: unchanged ? 1 : 0, rejected: 0, issues: [], clockDrift: false };
  }

  /**
   * What a status or correction message goes through before its own work: admission, JSON, its
   * payload schema. A refusal is already kept as a dead letter, and returned as the outcome.
   */
  private async admitAndParse<T>(
    device: DeviceContext,
    topic: string,
    payload: Buffer,
    schema: PayloadSchema<T>,
  ): Promise<Result<{ receivedAtMs: number; value: T }, IngestOutcome>> {
    const receivedAtMs = this.clock.now();
    const refused = await this.admission(device);
    if (refused === BANNED) return err(this.banned());
    if (refused !== undefined) return err(await this.reject(device, topic, payload, receivedAtMs, refused.issues, undefined, refused.flooded));
    const json = decodeJson(payload, this.limits.maxPayloadBytes);
    if (!json.ok) return err(await this.reject(device, topic, payload, receivedAtMs, json.error, undefined));
    const parsed = parsePayload(schema, json.value);
    if (!parsed.ok) return err(await this.reject(device, topic, payload, receivedAtMs, parsed.error, undefined));
    return ok({ receivedAtMs, value: parsed.value });
  }

  /** A message on a topic the gateway does not handle (still under the device's own prefix). */
  unknownTopic(device: DeviceContext, topic: string, payload: Buffer): Promise<IngestOutcome> {
    const why = issue(IssueCode.TopicUnknown, '', `devices publish to devices/${device.deviceId}/readings, /status or /corrections`);
    return this.reject(device, topic, payload, this.clock.now(), [why], undefined);
  }

  /**
   * A message from a device that may not send (unknown or revoked), reaching a worker through an
   * external broker whose registry copy lags: one rejection, kept as a dead letter.
   */
  async refuse(deviceId: string, topic: string, payload: Buffer, why: 'unknown' | 'revoked'): Promise<IngestOutcome> {
    const receivedAtMs = this.clock.now();
    const issues = [
      why === 'unknown'
        ? issue(IssueCode.DeviceUnknown, '', 'no device with this id is registered')
        : issue(IssueCode.DeviceRevoked, '', 'the device is revoked (or its profile is no longer loaded)'),
    ];
    return this.keep({ deviceId: why === 'revoked' ? deviceId : undefined, topic, receivedAtMs, payload, issues }, [], undefined);
  }

  /** Bytes from a device that do not decode (a Bluetooth value): one rejection, kept as a dead letter. */
  undecodable(device: DeviceContext, source: string, payload: Buffer, issues: Issue[]): Promise<IngestOutcome> {
    return this.reject(device, source, payload, this.clock.now(), issues, undefined);
  }

  /**
   * Admission, the first stage of every device message, in the order the device's messages came:
   * within the device's per-minute allowance a message goes on at once; beyond it (a stored
   * backlog) it is held — its PUBACK with it — until its paced turn, and so are the device's later
   * messages behind it. Holding one also stops the broker reading the device's socket (aedes reads
   * a connection's next bytes only once every packet already read is handled), so a device
   * cannot outrun the gateway. Past the backlog allowance too, refused as `rate-limited`; once
   * the device is banned for flooding, `BANNED`: not acknowledged at all.
   */
  private admission(device: DeviceContext): Admitted | Promise<Admitted> {
    if (this.extras.paced === false) return undefined;
    return this.turns.run(device.deviceId, () => {
      if (this.flood.banned(device.deviceId)) return BANNED;
      const { maxMessagesPerMinute, maxBacklogReadings } = device.profile;
      const admitted = this.limiter.admit(device.deviceId, maxMessagesPerMinute, maxBacklogReadings);
      if (!admitted.ok) {
        const issues = [issue(IssueCode.RateLimited, '', `more than ${maxMessagesPerMinute} messages per minute and a backlog of ${maxBacklogReadings} beyond them`)];
        return { issues, flooded: this.flood.refused(device.deviceId) };
      }
      if (admitted.paced) this.metrics.messageSlowed?.(admitted.delayMs);
      return admitted.delayMs > 0 ? (this.extras.wait ?? wait)(admitted.delayMs).then(() => undefined) : undefined;
    });
  }

  /** The device was banned for flooding while this message waited: no PUBACK, the device keeps it. */
  private banned(): IngestOutcome {
    return { messageId: undefined, accepted: 0, duplicates: 0, rejected: 0, issues: [], clockDrift: false, disconnect: true, unacknowledged: true };
  }

  private async reject(
    device: DeviceContext,
    topic: string,
    payload: Buffer,
    receivedAtMs: number,
    issues: Issue[],
    messageId: string | undefined,
    /** This refusal bans the device for flooding: close its connection once it is stored. */
    flooded = false,
  ): Promise<IngestOutcome> {
    const letter = { deviceId: device.deviceId, topic, receivedAtMs, payload, issues };
    return this.keep(letter, [{ deviceId: device.deviceId, seenAtMs: receivedAtMs }], messageId, flooded);
  }

  /** One rejected message, kept as a dead letter (with the device's last contact, when known). */
  private async keep(letter: DeadLetter, health: HealthUpdate[], messageId: string | undefined, flooded = false): Promise<IngestOutcome> {
    await this.queue.submit({ readings: [], deadLetters: [letter], health });
    this.metrics.messageRejected(letter.issues.map((i) => i.code));
    return { messageId, accepted: 0, duplicates: 0, rejected: 1, issues: letter.issues, clockDrift: false, ...(flooded ? { disconnect: true } : {}) };
  }
}

/** Told once what became of a message: its outcome, or (outcome undefined) why it was not committed. */
export type IngestDone = (outcome: IngestOutcome | undefined, error?: unknown) => void;

/** `done` told what a promised outcome settles to. */
export const settleDone = (outcome: Promise<IngestOutcome>, done: IngestDone): void => {
  outcome.then(
    (o) => done(o),
    (error: unknown) => done(undefined, error),
  );
};

/** The outcome that `run` tells its `done`, as a promise. */
export const promiseOf = (run: (done: IngestDone) => void): Promise<IngestOutcome> =>
  new Promise((resolve, reject) => run((outcome, error) => (outcome === undefined ? reject(error) : resolve(outcome))));

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
