import type { Logger } from '../../observability/index.js';
import type { AlertChange, BreachStart, CommitBatch, OutboxEntry } from '../../store/reading-store.js';

/**
 * Commits the rules engine's alert changes in order, each with its deliveries (outbox entries) in
 * the same transaction, so a delivery is never lost or made up. One commit is in flight at a time
 * and takes everything queued meanwhile, so under load alerts share group commits instead of
 * queueing one commit each. Breach starts of duration rules ride along (or go alone).
 */
export class AlertCommits {
  private chain: Promise<void> = Promise.resolve();
  private changes: AlertChange[] = [];
  private breaches: BreachStart[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(
    private readonly submit: (batch: CommitBatch) => Promise<unknown>,
    private readonly outboxOf: (changes: readonly AlertChange[]) => OutboxEntry[],
    /** Told of changes once they are durable. */
    private readonly committed: (changes: readonly AlertChange[]) => void,
    private readonly log: Logger,
  ) {}

  /** Changes queued or being committed: while any are, the store may not show them yet. */
  get pending(): number {
    return this.inFlight;
  }

  /** Records that a duration rule's breach began (or ended: `sinceMs` undefined), for the next commit. */
  breach(b: BreachStart): void {
    this.breaches.push(b);
  }

  /** Queues changes (and the breaches recorded) for the next commit. */
  add(changes: readonly AlertChange[]): void {
    this.changes.push(...changes);
    this.inFlight += changes.length;
    if (this.scheduled || (this.changes.length === 0 && this.breaches.length === 0)) return;
    this.scheduled = true;
    this.chain = this.chain.then(async () => {
      const changes = this.changes;
      const breaches = this.breaches;
      this.changes = [];
      this.breaches = [];
      this.scheduled = false;
      await this.commit(changes, breaches);
      this.inFlight -= changes.length;
    });
  }

  /** Resolves once everything queued so far is committed. */
  settled(): Promise<void> {
    return this.chain;
  }

  private async commit(changes: readonly AlertChange[], breaches: readonly BreachStart[]): Promise<void> {
    try {
      await this.submit({ rows: [], deadLetters: [], health: [], alerts: changes, breaches, outbox: changes.length === 0 ? [] : this.outboxOf(changes) });
    } catch (error) {
      // The reading is stored; its alert is not: logged loudly (a store failure is visible on /healthz too).
      this.log.error({ err: error instanceof Error ? error.message : String(error), alerts: changes.map((c) => c.alert.id) }, 'alert changes not stored');
      return;
    }
    if (changes.length > 0) this.committed(changes);
  }
}
