import type { Rejection } from './device.js';
import type { FaultKind } from './faults.js';
import type { Outgoing } from './simulated-device.js';

/** The outcome of a run. */
export interface Summary {
  readonly url: string;
  readonly qos: 0 | 1;
  readonly devices: number;
  readonly devicesByProfile: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
  /** Messages published (readings, status and faults). */
  readonly sent: number;
  /** Messages the gateway acknowledged: PUBACK at QoS 1; at QoS 0, written to the socket. */
  readonly acknowledged: number;
  readonly readingMessages: number;
  readonly statusMessages: number;
  /**
   * Values in acknowledged messages the gateway should store, one row each (re-publishes and faults
   * excluded). The store should hold exactly these when `unexpectedRejections` is 0.
   */
  readonly expectedStoredValues: number;
  /** Readings sent that cross an alert threshold of their profile. */
  readonly alertingReadings: number;
  /** Exact re-publishes of an earlier message (the duplicate fault and a flood's copies). */
  readonly duplicatesSent: number;
  readonly faultsSent: Readonly<Partial<Record<FaultKind, number>>>;
  /** Rejections the gateway sent on the devices' `rejected` topics, by issue code (one per message and code). */
  readonly rejected: Readonly<Record<string, number>>;
  /** Rejections the faults should cause, by code; for `rate-limited`, the least a flood must cause. */
  readonly expectedRejected: Readonly<Record<string, number>>;
  /** Rejections beyond what the faults explain (e.g. a regular reading refused). */
  readonly unexpectedRejections: number;
  /** Expected rejections that never came (a fault the gateway accepted). */
  readonly missingRejections: number;
  readonly errors: number;
  /** The first few distinct error messages. */
  readonly errorMessages: readonly string[];
  /** Everything sent was acknowledged, without errors. */
  readonly ok: boolean;
}

export type SummaryContext = Pick<Summary, 'url' | 'qos' | 'devices' | 'devicesByProfile' | 'elapsedMs'>;

const MAX_ERROR_MESSAGES = 10;

const bump = (counts: Record<string, number>, key: string, by = 1): void => {
  counts[key] = (counts[key] ?? 0) + by;
};

/** Counts what was sent, acknowledged and rejected while a run goes on. */
export class Tally {
  sent = 0;
  acknowledged = 0;
  errors = 0;
  rejections = 0;
  private readingMessages = 0;
  private statusMessages = 0;
  private storedValues = 0;
  private alerting = 0;
  private duplicates = 0;
  private readonly faults: Partial<Record<FaultKind, number>> = {};
  private readonly rejected: Record<string, number> = {};
  private readonly expected: Record<string, { min: number; max: number }> = {};
  private readonly errorMessages = new Set<string>();
  private onRejection: (() => void) | undefined;

  sending(o: Outgoing): void {
    this.sent += 1;
    if (o.channel === 'status') this.statusMessages += 1;
    else this.readingMessages += 1;
    if (o.duplicate) this.duplicates += 1;
  }

  acked(o: Outgoing): void {
    this.acknowledged += 1;
    this.storedValues += o.values;
    this.alerting += o.alerting;
  }

  fault(kind: FaultKind): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
  }

  /** Registers rejections a fault should cause: at least `min`, at most `max`. */
  expect(code: string, min: number, max = min): void {
    const e = (this.expected[code] ??= { min: 0, max: 0 });
    e.min += min;
    e.max += max;
  }

  error(message: string): void {
    this.errors += 1;
    if (this.errorMessages.size < MAX_ERROR_MESSAGES) this.errorMessages.add(message);
  }

  rejection(r: Rejection): void {
    this.rejections += 1;
    for (const code of new Set(r.issues.map((i) => i.code))) bump(this.rejected, code);
    this.onRejection?.();
  }

  /** Resolves once every expected rejection has arrived (they may trail the PUBACKs), or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.onRejection = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.onRejection = () => {
        if (this.missing() === 0) done();
      };
      this.onRejection();
    });
  }

  private missing(): number {
    return Object.entries(this.expected).reduce((n, [code, e]) => n + Math.max(0, e.min - (this.rejected[code] ?? 0)), 0);
  }

  summary(context: SummaryContext): Summary {
    const unexpected = Object.entries(this.rejected).reduce((n, [code, actual]) => n + Math.max(0, actual - (this.expected[code]?.max ?? 0)), 0);
    return {
      ...context,
      sent: this.sent,
      acknowledged: this.acknowledged,
      readingMessages: this.readingMessages,
      statusMessages: this.statusMessages,
      expectedStoredValues: this.storedValues,
      alertingReadings: this.alerting,
      duplicatesSent: this.duplicates,
      faultsSent: { ...this.faults },
      rejected: { ...this.rejected },
      expectedRejected: Object.fromEntries(Object.entries(this.expected).map(([code, e]) => [code, e.min])),
      unexpectedRejections: unexpected,
      missingRejections: this.missing(),
      errors: this.errors,
      errorMessages: [...this.errorMessages],
      ok: this.errors === 0 && this.acknowledged === this.sent,
    };
  }
}
