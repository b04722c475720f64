import { createHash } from 'node:crypto';
import type { Issue } from '../../domain/index.js';
import type { DeadLetter, DeadLetterStore, StoredDeadLetter } from '../reading-store.js';

export type { StoredDeadLetter } from '../reading-store.js';
import type { SqliteConnection, SqliteStatement } from './database.js';

/** Payload bytes kept per dead letter; larger payloads keep their size, hash and this much of the start. */
export const DEAD_LETTER_PAYLOAD_CAP_BYTES = 64 * 1024;

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
    const sha = createHash('sha256').update(d.payload).digest('hex');
    const kept = d.payload.subarray(0, DEAD_LETTER_PAYLOAD_CAP_BYTES);
    this.insertStmt.run(d.deviceId ?? null, d.topic, d.receivedAtMs, kept, d.payload.length, sha, JSON.stringify(d.issues));
  }

  list(filter: { deviceId?: string; limit?: number } = {}): StoredDeadLetter[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM dead_letters WHERE (@deviceId IS NULL OR device_id = @deviceId) ORDER BY id DESC LIMIT @limit`,
      )
      .all({ deviceId: filter.deviceId ?? null, limit: filter.limit ?? 100 }) as Record<string, unknown>[];
    return rows.map((r) => ({
      id: r['id'] as number,
      deviceId: (r['device_id'] as string | null) ?? undefined,
      topic: r['topic'] as string,
      receivedAtMs: r['received_at'] as number,
      payload: r['payload'] as Buffer,
      payloadBytes: r['payload_bytes'] as number,
      payloadSha256: r['payload_sha256'] as string,
      issues: JSON.parse(r['issues'] as string) as Issue[],
    }));
  }
}
