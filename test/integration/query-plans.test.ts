import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { READING_QUERIES, type ReadingQueryName } from '../../src/store/sqlite/reading-queries.js';
import { tempDir } from '../helpers/gateway.js';

/** Every parameter any of the queries takes. */
const PARAMS = { patient: '9434765919', patients: '["9434765919"]', metrics: '["systolic"]', metric: 'systolic', since: 0, from: 0, to: 1, width: 1, fromMinute: 0, toMinute: 1, profile: 'bp-upper-arm', limit: 10, id: 1 };

/** A query's plan as SQLite prints it: one line per step, indented by depth. */
function plan(db: Database.Database, sql: string): string[] {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(Object.fromEntries(Object.entries(PARAMS).filter(([k]) => sql.includes(`@${k}`)))) as { id: number; parent: number; detail: string }[];
  const depth = new Map<number, number>([[0, -1]]);
  return rows.map((r) => {
    const d = (depth.get(r.parent) ?? -1) + 1;
    depth.set(r.id, d);
    return `${'  '.repeat(d)}${r.detail}`;
  });
}

/** The plans docs/store.md shows: a "#### `name`" heading, then a ```text block. */
function documented(): Map<string, string[]> {
  const doc = readFileSync(join(import.meta.dirname, '../../docs/store.md'), 'utf8');
  const out = new Map<string, string[]>();
  for (const m of doc.matchAll(/^#### `(\w+)`\n(?:[^\n]*\n)*?```text\n([\s\S]*?)```/gm)) out.set(m[1] as string, (m[2] as string).trimEnd().split('\n'));
  return out;
}

describe('query plans of the reading store', () => {
  const tmp = tempDir();
  const file = join(tmp.dir, 'gateway.db');
  new SqliteStore(file).close();
  const db = new Database(file, { readonly: true });
  const docs = documented();

  for (const name of Object.keys(READING_QUERIES) as ReadingQueryName[]) {
    it(`${name}: searches keys and indexes only, as docs/store.md shows`, () => {
      const steps = plan(db, READING_QUERIES[name]);
      // Tables that grow with the readings are searched, never scanned (json_each and its view's values are per reading).
      expect(steps.filter((s) => /\bSCAN (readings|r|l|i|x|t|tail|reading_index|reading_rollups|latest_values|profile_metrics)\b/.test(s.trim()))).toEqual([]);
      expect(steps.join('\n')).toBe((docs.get(name) ?? []).join('\n'));
    });
  }

  it('closes', () => {
    db.close();
    tmp.remove();
  });
});
