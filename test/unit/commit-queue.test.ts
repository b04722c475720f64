import { readingsOf } from '../../src/domain/index.js';
import { describe, expect, it } from 'vitest';
import { CommitQueue, type ReadingWriter } from '../../src/pipeline/commit-queue.js';
import type { CommitBatch } from '../../src/store/reading-store.js';
import { row } from '../contracts/reading-store.contract.js';

/** A writer that records each commit and reports a reading new unless its key came before. */
function recordingWriter() {
  const commits: CommitBatch[] = [];
  const seen = new Set<string>();
  const writer: ReadingWriter = {
    commit(batch) {
      commits.push(batch);
      return { inserted: batch.readings.map((r) => !seen.has(r.idempotencyKey) && seen.add(r.idempotencyKey) !== undefined) };
    },
  };
  return { writer, commits };
}

const health = (deviceId: string, seenAtMs: number, readingAtMs?: number) => ({ deviceId, seenAtMs, ...(readingAtMs === undefined ? {} : { readingAtMs }) });

describe('CommitQueue: submissions of one turn as one commit', () => {
  it('concatenates readings and every list in order, shifts outbox readings to match, merges health, and answers each submitter for its own readings', async () => {
    const { writer, commits } = recordingWriter();
    const queue = new CommitQueue(writer, 10_000);
    const a = [row({ idempotencyKey: 'a', metric: 'systolic' }), row({ idempotencyKey: 'a', metric: 'diastolic', value: 80 })];
    const b = [row({ idempotencyKey: 'b' })];
    const c = [row({ idempotencyKey: 'a' }), row({ idempotencyKey: 'c' })]; // 'a' again: a duplicate of the first
    const letter = { deviceId: 'd2', topic: 'devices/d2/readings', receivedAtMs: 5, payload: Buffer.from('{'), issues: [] };
    const alert = { alert: { id: 'al-1' }, by: 'rules', note: undefined } as unknown as NonNullable<CommitBatch['alerts']>[number];
    const answers = await Promise.all([
      queue.submit({ readings: readingsOf(a), deadLetters: [], health: [health('d1', 10, 9)], outbox: [{ sink: 'influx', payload: 'p-a', firstReading: 0, readingCount: 1 }] }),
      queue.submit({ readings: [], deadLetters: [letter], health: [health('d2', 11)], alerts: [alert] }),
      queue.submit({ readings: readingsOf(b), deadLetters: [], health: [health('d1', 12, 8)], outbox: [{ sink: 'influx', payload: 'p-b', firstReading: 0, readingCount: 1 }] }),
      queue.submit({ readings: readingsOf(c), deadLetters: [], health: [health('d3', 13)], outbox: [{ sink: 'fhir', payload: 'p-c', firstReading: 1, readingCount: 1 }, { sink: 'alert-webhook', payload: 'p-c2', firstReading: 0, readingCount: 2, lane: 'clinician-1' }] }),
    ]);
    expect(commits).toHaveLength(1);
    const [batch] = commits as [CommitBatch];
    expect(batch.readings.map((r) => `${r.idempotencyKey}:${r.values.map((v) => v.metric).join(',')}`)).toEqual(['a:systolic,diastolic', 'b:systolic', 'a:systolic', 'c:systolic']);
    expect(batch.outbox).toEqual([
      { sink: 'influx', payload: 'p-a', firstReading: 0, readingCount: 1 },
      { sink: 'influx', payload: 'p-b', firstReading: 1, readingCount: 1 },
      { sink: 'fhir', payload: 'p-c', firstReading: 3, readingCount: 1 },
      { sink: 'alert-webhook', payload: 'p-c2', firstReading: 2, readingCount: 2, lane: 'clinician-1' },
    ]);
    expect(batch.deadLetters).toEqual([letter]);
    expect(batch.alerts).toEqual([alert]);
    expect(batch.corrections).toEqual([]);
    // One health update per device: the latest contact and the latest reading time.
    expect(batch.health).toEqual([health('d1', 12, 9), health('d2', 11), health('d3', 13)]);
    expect(answers).toEqual([[true], [], [true], [false, true]]);
    await queue.close();
  });

  it('passes a lone submission through with its health merged', async () => {
    const { writer, commits } = recordingWriter();
    const queue = new CommitQueue(writer, 10_000);
    await queue.submit({ readings: readingsOf([row({ idempotencyKey: 'x' })]), deadLetters: [], health: [health('d1', 1), health('d1', 3), health('d1', 2)] });
    expect(commits[0]?.health).toEqual([health('d1', 3)]);
    await queue.close();
  });
});
