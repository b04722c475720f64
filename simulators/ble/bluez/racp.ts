/**
 * Record Access Control Point (0x2A52) over stored records, as the Glucose Service defines it
 * [GLS 1.0.1 §3.9, RACP Table 3.x; GATT Supplement 3.183]: the client writes a request, the device
 * notifies each matching record on the measurement characteristic (and its context after it, when
 * the record says one follows), then indicates the response on the RACP.
 */
import { BusError } from './dbus.js';
import type { CharacteristicDefinition } from './gatt.js';
import { BluezErrors } from './interfaces.js';
import type { Link } from './upload.js';

export const RacpOp = { ReportRecords: 0x01, DeleteRecords: 0x02, Abort: 0x03, ReportNumber: 0x04, NumberResponse: 0x05, ResponseCode: 0x06 } as const;
export const RacpOperator = { Null: 0x00, All: 0x01, LessOrEqual: 0x02, GreaterOrEqual: 0x03, WithinRange: 0x04, First: 0x05, Last: 0x06 } as const;
export const RacpResponse = {
  Success: 0x01,
  OpCodeNotSupported: 0x02,
  InvalidOperator: 0x03,
  OperatorNotSupported: 0x04,
  InvalidOperand: 0x05,
  NoRecordsFound: 0x06,
  AbortUnsuccessful: 0x07,
  ProcedureNotCompleted: 0x08,
  OperandNotSupported: 0x09,
} as const;
const FILTER_SEQUENCE_NUMBER = 0x01;
const FILTER_USER_FACING_TIME = 0x02;
// [Core Supplement Part B 1.2] common profile error codes, reported by BlueZ as Failed
const ATT_CCCD_IMPROPERLY_CONFIGURED = 0xfd;
const ATT_PROCEDURE_IN_PROGRESS = 0xfe;

/** One stored record: its sequence number and the measurement (and context) values. */
export interface StoredRecord {
  readonly sequenceNumber: number;
  readonly measurement: Uint8Array;
  readonly context?: Uint8Array;
}

export interface RecordStore {
  records(): readonly StoredRecord[];
  delete(sequenceNumbers: readonly number[]): void;
}

export interface RacpUuids {
  readonly racp: number;
  readonly measurement: number;
  readonly context?: number;
}

/** Which records a request selects, or the response code that refuses it. */
function select(records: readonly StoredRecord[], request: Uint8Array): StoredRecord[] | number {
  const [, operator, filter] = request;
  const operand = (i: number): number | undefined => (request.length >= 5 + i * 2 ? (request[3 + i * 2] ?? 0) | ((request[4 + i * 2] ?? 0) << 8) : undefined);
  const sorted = [...records].sort((a, b) => a.sequenceNumber - b.sequenceNumber);
  if (operator === undefined || operator === RacpOperator.Null) return RacpResponse.InvalidOperator;
  if (operator > RacpOperator.Last) return RacpResponse.OperatorNotSupported;
  const noOperand = operator === RacpOperator.All || operator === RacpOperator.First || operator === RacpOperator.Last;
  if (noOperand) {
    if (request.length !== 2) return RacpResponse.InvalidOperand;
    if (operator === RacpOperator.All) return sorted;
    const one = operator === RacpOperator.First ? sorted[0] : sorted[sorted.length - 1];
    return one === undefined ? [] : [one];
  }
  if (filter === FILTER_USER_FACING_TIME) return RacpResponse.OperandNotSupported;
  if (filter !== FILTER_SEQUENCE_NUMBER) return RacpResponse.InvalidOperand;
  const [low, high] = [operand(0), operand(1)];
  const range = operator === RacpOperator.WithinRange;
  if (low === undefined || request.length !== (range ? 7 : 5) || (range && (high === undefined || high < low))) return RacpResponse.InvalidOperand;
  const keep = (n: number): boolean => (operator === RacpOperator.LessOrEqual ? n <= low : operator === RacpOperator.GreaterOrEqual ? n >= low : n >= low && n <= (high ?? low));
  return sorted.filter((r) => keep(r.sequenceNumber));
}

/** The RACP of a device with stored records. */
export class RecordAccess {
  /** Every request written, oldest first. */
  readonly writes: Uint8Array[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly link: Link,
    private readonly store: RecordStore,
    private readonly uuids: RacpUuids,
    private readonly intervalMs: number,
  ) {}

  /** The RACP characteristic: write with response, indicate. */
  characteristic(): CharacteristicDefinition {
    return {
      uuid: this.uuids.racp,
      flags: ['write', 'indicate'],
      write: (value) => this.request(value),
      notifying: (on) => {
        if (!on) this.cancel();
      },
    };
  }

  /** Ends a running procedure (the link went, or the client stopped listening). */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private request(value: Uint8Array): void {
    this.writes.push(value);
    const op = value[0] ?? 0;
    if (op !== RacpOp.Abort && this.timer !== undefined) throw attError(ATT_PROCEDURE_IN_PROGRESS);
    if (!this.link.notifying(this.uuids.racp)) throw attError(ATT_CCCD_IMPROPERLY_CONFIGURED);
    switch (op) {
      case RacpOp.ReportRecords: {
        const chosen = select(this.store.records(), value);
        if (typeof chosen === 'number') return this.respond(op, chosen);
        if (chosen.length === 0) return this.respond(op, RacpResponse.NoRecordsFound);
        return this.report(chosen);
      }
      case RacpOp.DeleteRecords: {
        const chosen = select(this.store.records(), value);
        if (typeof chosen === 'number') return this.respond(op, chosen);
        this.store.delete(chosen.map((r) => r.sequenceNumber));
        return this.respond(op, chosen.length === 0 ? RacpResponse.NoRecordsFound : RacpResponse.Success);
      }
      case RacpOp.Abort:
        this.cancel();
        return this.respond(op, value.length === 2 && value[1] === RacpOperator.Null ? RacpResponse.Success : RacpResponse.InvalidOperator);
      case RacpOp.ReportNumber: {
        const chosen = select(this.store.records(), value);
        if (typeof chosen === 'number') return this.respond(op, chosen);
        return this.indicate(Uint8Array.of(RacpOp.NumberResponse, RacpOperator.Null, chosen.length & 0xff, chosen.length >> 8));
      }
      default:
        return this.respond(op, RacpResponse.OpCodeNotSupported);
    }
  }

  /** Each record (then its context) on its own characteristic, `intervalMs` apart, then success. */
  private report(records: readonly StoredRecord[]): void {
    const values = records.flatMap((r) => [
      { uuid: this.uuids.measurement, value: r.measurement },
      ...(r.context !== undefined && this.uuids.context !== undefined ? [{ uuid: this.uuids.context, value: r.context }] : []),
    ]);
    const next = (i: number): void => {
      const v = values[i];
      if (v === undefined) {
        this.timer = undefined;
        return this.respond(RacpOp.ReportRecords, RacpResponse.Success);
      }
      this.link.send(v.uuid, v.value);
      this.timer = setTimeout(() => next(i + 1), this.intervalMs);
    };
    // after the write response has gone out
    this.timer = setTimeout(() => next(0), 0);
  }

  /** `06 00 <request op> <response>` */
  private respond(requestOp: number, response: number): void {
    this.indicate(Uint8Array.of(RacpOp.ResponseCode, RacpOperator.Null, requestOp, response));
  }

  private indicate(value: Uint8Array): void {
    setImmediate(() => this.link.send(this.uuids.racp, value));
  }
}

/** How BlueZ answers a write the peer refused with an ATT error [BlueZ src/gatt-client.c]. */
const attError = (code: number): BusError => new BusError(BluezErrors.Failed, `Operation failed with ATT error: 0x${code.toString(16).padStart(2, '0')}`);
