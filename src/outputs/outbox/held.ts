import type { QueuedOutboxEntry } from '../../store/outbox-store.js';
import type { OutboxRow, OutboxSource } from './sender.js';

/** The store a {@link HeldOutbox} asks which rows are pending, and reads the rows it does not hold from. */
export interface PendingIdsSource extends OutboxSource {
  /** The ids of `pending`'s rows alone (read from an index: no payload). */
  pendingIds(sink: string, afterId: number, limit: number): readonly number[] | Promise<readonly number[]>;
}

/**
 * One output's pending outbox rows, their payloads held as this gateway's commits wrote them (each
 * commit's receipt carries its rows), so the sender does not read back what was just written: a
 * read asks the store only which rows are pending, and takes the payloads it holds. A row it does
 * not hold (queued before the gateway started, put back by `outbox requeue`, added by another
 * process, or let go for room) is read from the store, so what is sent is always what the store
 * says is pending, whatever is held. A row's payload never changes under its id (ids are not
 * reused). Rows are let go once sent (a row sent again, its result not recorded, is read), and
 * beyond `maxChars` of payload the oldest go first (an output that is down holds its newest rows).
 */
export class HeldOutbox implements OutboxSource {
  /** Held rows by id, oldest first (commits are told in the order they were made, ids ascending). */
  private readonly held = new Map<number, OutboxRow>();
  private chars = 0;

  constructor(
    private readonly store: PendingIdsSource,
    private readonly sink: string,
    private readonly maxChars: number,
  ) {}

  /** Rows a durable commit added to the outbox, any sink's: this output's are held. */
  committed(rows: readonly QueuedOutboxEntry[]): void {
    for (const { sink, id, payload, items } of rows) {
      if (sink !== this.sink) continue;
      this.held.set(id, { id, payload, items });
      this.chars += payload.length;
    }
    for (const [id, row] of this.held) {
      if (this.chars <= this.maxChars) break;
      this.letGo(id, row);
    }
  }

  async pending(sink: string, afterId: number, limit: number): Promise<readonly OutboxRow[]> {
    if (sink !== this.sink) return this.store.pending(sink, afterId, limit);
    // The sender reads on after the rows it has sent (from 0 when it starts a cycle, or sends again).
    for (const [id, row] of this.held) {
      if (id > afterId) break;
      this.letGo(id, row);
    }
    const ids = await this.store.pendingIds(sink, afterId, limit);
    const rows: OutboxRow[] = [];
    for (const id of ids) {
      const row = this.held.get(id);
      if (row === undefined) break;
      rows.push(row);
    }
    if (rows.length > 0 || ids.length === 0) return rows;
    // The oldest pending rows are not held: those up to the next one held are read from the store.
    let unheld = 1;
    while (unheld < ids.length && !this.held.has(ids[unheld] as number)) unheld++;
    return this.store.pending(sink, afterId, unheld);
  }

  /** How many rows are held. */
  get size(): number {
    return this.held.size;
  }

  private letGo(id: number, row: OutboxRow): void {
    this.held.delete(id);
    this.chars -= row.payload.length;
  }
}
