import type { Issue } from '../../domain/index.js';
import { keptPayload } from '../dead-letter-payload.js';
import { deadLetterFromRow } from '../rows.js';
import type { DeadLetter, DeadLetterStore, StoredDeadLetter } from '../reading-store.js';

export type { StoredDeadLetter } from '../reading-store.js';
import type { SqliteConnection, SqliteStatement } from './database.js';

export class SqliteDeadLetters implements DeadLetterStore {
  private readonly insertStmt: SqliteStatement;

  constructor(private readonly db: SqliteConnection) {
    this.insertStmt = db.prepare(
      `INSERT INTO dead_letters (device_id, topic, received_at, payload, payload_bytes, payload_sha256, issues)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Call inside the commit transaction. */
  insert(d: DeadLetter): void {
    const { kept, bytes, sha256 } = keptPayload(d.payload);
    this.insertStmt.run(d.deviceId ?? null, d.topic, d.receivedAtMs, kept, bytes, sha256, JSON.stringify(d.issues));
  }

  list(filter: { deviceId?: string; limit?: number } = {}): StoredDeadLetter[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM dead_letters WHERE (@deviceId IS NULL OR device_id = @deviceId) ORDER BY id DESC LIMIT @limit`,
      )
      .all({ deviceId: filter.deviceId ?? null, limit: filter.limit ?? 100 }) as Record<string, unknown>[];
    return rows.map((r) => deadLetterFromRow(r, JSON.parse(r['issues'] as string) as Issue[]));
  }
}
