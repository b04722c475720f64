import type { Issue } from '../../domain/index.js';
import type { AsyncPort } from '../async-port.js';
import { keptPayload } from '../dead-letter-payload.js';
import { deadLetterFromRow } from '../rows.js';
import type { DeadLetter, DeadLetterStore, StoredDeadLetter } from '../reading-store.js';
import { columns } from './columns.js';
import type { PgQueryable } from './database.js';

/** DeadLetterStore on PostgreSQL. */
export class PgDeadLetters implements AsyncPort<DeadLetterStore> {
  constructor(private readonly db: PgQueryable) {}

  /** In the transaction of the commit that refuses it, when given that transaction. */
  async insert(d: DeadLetter): Promise<void> {
    const { kept, bytes, sha256 } = keptPayload(d.payload);
    await this.db.execute(
      `INSERT INTO dead_letters (device_id, topic, received_at, payload, payload_bytes, payload_sha256, issues) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [d.deviceId ?? null, d.topic, d.receivedAtMs, kept, bytes, sha256, JSON.stringify(d.issues)],
    );
  }

  async list(filter: { deviceId?: string; limit?: number } = {}): Promise<StoredDeadLetter[]> {
    const rows = await this.db.query(`SELECT ${columns('dead_letters')} FROM dead_letters WHERE ($1::text IS NULL OR device_id = $1) ORDER BY id DESC LIMIT $2`, [filter.deviceId ?? null, filter.limit ?? 100]);
    return rows.map((r) => deadLetterFromRow(r, r['issues'] as Issue[]));
  }
}
