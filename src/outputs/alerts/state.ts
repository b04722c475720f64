/**
 * What the rules engine knows of each condition (one rule on one device of one patient, or one
 * patient-level rule): whether its alert is open, and when a running breach of a duration rule
 * began. The committed view changes only once the commit that made a change is durable: changes are
 * made in an {@link AlertTx} and applied after that commit, or dropped when it fails.
 */
import type { ThresholdState } from '../../clinical/index.js';
import type { AlertChange, AlertRecord, BreachStart } from '../../store/reading-store.js';

/** One condition: its threshold state and its open alert, if any. */
export interface ConditionState {
  readonly state: ThresholdState;
  readonly alert?: AlertRecord | undefined;
}

/** A view of every condition: the committed one, or a transaction's (read through to what it was made on). */
export interface Conditions {
  get(key: string): ConditionState | undefined;
  entries(): IterableIterator<[string, ConditionState]>;
}

/** The committed state of every condition worth remembering (open, or a breach running). */
export class CommittedConditions implements Conditions {
  private readonly byKey = new Map<string, ConditionState>();

  get(key: string): ConditionState | undefined {
    return this.byKey.get(key);
  }

  set(key: string, value: ConditionState | undefined): void {
    if (value === undefined) this.byKey.delete(key);
    else this.byKey.set(key, value);
  }

  entries(): IterableIterator<[string, ConditionState]> {
    return this.byKey.entries();
  }

  /**
   * What the store holds now for these patients (every patient: undefined) replaces what is
   * remembered of them: their unresolved alerts, and the running breaches of duration rules.
   */
  replace(patients: ReadonlySet<string> | undefined, alerts: readonly AlertRecord[], breaches: readonly BreachStart[]): void {
    if (patients === undefined) this.byKey.clear();
    else for (const key of [...this.byKey.keys()]) if (patients.has(key.slice(0, key.indexOf('|')))) this.byKey.delete(key);
    for (const b of breaches) if (b.sinceMs !== undefined) this.byKey.set(b.key, { state: { open: false, breachSinceMs: b.sinceMs } });
    for (const alert of alerts) this.byKey.set(alert.key, { state: { open: true }, alert });
  }
}

/**
 * The changes one commit makes: alert changes and breach starts to write, the conditions' new
 * states (read through to the committed view), and the idempotency keys of the rows that caused a
 * change (checked against the store before the commit: a stored duplicate must change nothing).
 */
export class AlertTx implements Conditions {
  readonly changes: AlertChange[] = [];
  readonly breaches: BreachStart[] = [];
  /** Rows whose evaluation changed something. */
  readonly relevantKeys = new Set<string>();
  /** Patients whose NEWS2 inputs this transaction touched (forgotten if it fails). */
  readonly news2Patients = new Set<string>();
  /** The latest correction taken in (made elsewhere), remembered once the commit is durable. */
  correctionsUpTo: number | undefined;
  private readonly overlay = new Map<string, ConditionState | undefined>();

  /**
   * `base`: what it is made on: the committed view, or the transaction of a commit still being
   * written (whose changes it then sees; it fails if that one fails).
   */
  constructor(
    private readonly committed: CommittedConditions,
    private base: Conditions = committed,
  ) {}

  /** Whether it was made on `tx`. */
  madeOn(tx: AlertTx): boolean {
    return this.base === tx;
  }

  /** The transaction it was made on is applied: it reads the committed view instead (the same, without the chain). */
  onCommitted(): void {
    this.base = this.committed;
  }

  get(key: string): ConditionState | undefined {
    return this.overlay.has(key) ? this.overlay.get(key) : this.base.get(key);
  }

  set(key: string, value: ConditionState | undefined): void {
    this.overlay.set(key, value === undefined || (!value.state.open && value.state.breachSinceMs === undefined && value.alert === undefined) ? undefined : value);
  }

  /** Every condition as this transaction sees it. */
  *entries(): IterableIterator<[string, ConditionState]> {
    for (const [key, value] of this.base.entries()) if (!this.overlay.has(key)) yield [key, value];
    for (const [key, value] of this.overlay) if (value !== undefined) yield [key, value];
  }

  /** The commit is durable: the committed view takes every change. */
  apply(): void {
    for (const [key, value] of this.overlay) this.committed.set(key, value);
  }
}
