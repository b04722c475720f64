/**
 * The durable floor's store, as `durable-floor.ts` runs it and the stores-alone part measures it:
 * one SQLite row per message, unique on device and messageId, WAL with `synchronous = FULL`.
 */
import Database from 'better-sqlite3';

export interface FloorStore {
  /** Commits `batch` in one transaction: each message's row (a redelivery is stored once). */
  commit(batch: readonly { readonly device: string; readonly messageId: string; readonly payload: string }[]): void;
  /** Rows stored. */
  rows(): number;
  close(): void;
}

export function openFloorStore(file: string): FloorStore {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE readings (device TEXT NOT NULL, message_id TEXT NOT NULL, payload TEXT NOT NULL, UNIQUE (device, message_id))');
  const insert = db.prepare('INSERT OR IGNORE INTO readings (device, message_id, payload) VALUES (?, ?, ?)');
  const commit = db.transaction((batch: readonly { device: string; messageId: string; payload: string }[]) => {
    for (const p of batch) insert.run(p.device, p.messageId, p.payload);
  });
  return {
    commit,
    rows: () => (db.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number }).n,
    close: () => db.close(),
  };
}
