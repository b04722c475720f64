import fc from 'fast-check';
import { GatewayError, readingsOf } from '../../src/domain/index.js';
import { describe, expect, it } from 'vitest';
import { CommitQueue, PIPELINED_COMMITS, type CommitPlanner, type ReadingWriter } from '../../src/pipeline/commit-queue.js';
import type { CommitBatch, CommitReceipt } from '../../src/store/reading-store.js';
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
      queue.submit({ readings: readingsOf(b), deadLetters: [], health: [health('d1', 12, 8)], outbox: [{ sink: 'influx', payload: 'p-b', firstReading: 0, readingCount: 1, completion: 'line-protocol' }] }),
      queue.submit({ readings: readingsOf(c), deadLetters: [], health: [health('d3', 13)], outbox: [{ sink: 'fhir', payload: 'p-c', firstReading: 1, readingCount: 1 }, { sink: 'alert-webhook', payload: 'p-c2', firstReading: 0, readingCount: 2, lane: 'clinician-1' }] }),
    ]);
    expect(commits).toHaveLength(1);
    const [batch] = commits as [CommitBatch];
    expect(batch.readings.map((r) => `${r.idempotencyKey}:${r.values.map((v) => v.metric).join(',')}`)).toEqual(['a:systolic,diastolic', 'b:systolic', 'a:systolic', 'c:systolic']);
    expect(batch.outbox).toEqual([
      { sink: 'influx', payload: 'p-a', firstReading: 0, readingCount: 1 },
      { sink: 'influx', payload: 'p-b', firstReading: 1, readingCount: 1, completion: 'line-protocol' },
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

/** A pipelined writer whose commits the test answers: each kept with whether it was planned on the one before. */
function heldWriter() {
  const sent: { keys: string[]; afterPrevious: boolean; answer: (receipt: CommitReceipt | Error) => void }[] = [];
  const writer: ReadingWriter = {
    pipelined: true,
    commit: (batch, afterPrevious = false) =>
      new Promise((resolve, reject) => {
        sent.push({ keys: batch.readings.map((r) => r.idempotencyKey), afterPrevious, answer: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
      }),
  };
  /** Waits (turns of the event loop, no timers) until `n` commits were sent, and checks no more were. */
  const sends = async (n: number): Promise<void> => {
    for (let i = 0; i < 50 && sent.length < n; i++) await new Promise(setImmediate);
    for (let i = 0; i < 5; i++) await new Promise(setImmediate);
    expect(sent.length).toBe(n);
  };
  return { writer, sent, sends };
}

/** A planner that logs each plan and settlement by the keys it was made for. */
function loggingPlanner(canPipeline: () => boolean = () => true) {
  const log: string[] = [];
  const planner: CommitPlanner = {
    plan(works) {
      const keys = works.flatMap((w) => w.work.readings.map((r) => r.idempotencyKey)).join('+');
      log.push(`plan ${keys}`);
      // Readings named quiet change nothing: no plan to settle.
      if (keys.startsWith('quiet')) return undefined;
      return { work: { readings: [], deadLetters: [], health: [] }, settle: (ok) => log.push(`${ok ? 'committed' : 'failed'} ${keys}`) };
    },
    pipelines: canPipeline,
  };
  return { planner, log };
}

/** A queue on a held pipelined writer, with a logging planner. */
function plannedQueue() {
  const { writer, sent, sends } = heldWriter();
  const { planner, log } = loggingPlanner();
  const queue = new CommitQueue(writer, 10_000);
  queue.usePlanner(planner);
  return { sent, sends, log, queue };
}

/** A submission's outcome: stored, or the error code it failed with. */
const outcome = (p: Promise<unknown>) => p.then(() => 'stored', (e: GatewayError) => e.code);

const work = (key: string): CommitBatch => ({ readings: readingsOf([row({ idempotencyKey: key })]), deadLetters: [], health: [] });
const stored = (n: number): CommitReceipt => ({ inserted: Array.from({ length: n }, () => true) });

describe('CommitQueue on a pipelined writer: the next commit sent while one is written', () => {
  it('plans and sends the second and third beside the first, a fourth waits, and they settle in order whatever order the answers come in', async () => {
    const { sent, sends, log, queue } = plannedQueue();
    const settled: string[] = [];
    const submit = (key: string) => queue.submit(work(key)).then(() => settled.push(key));
    const a = submit('a');
    await sends(1);
    const b = submit('b');
    await sends(2);
    const c = submit('c');
    await sends(3);
    const d = submit('d');
    await sends(PIPELINED_COMMITS); // three in flight at most
    expect(PIPELINED_COMMITS).toBe(3);
    expect(sent.map((s) => [s.keys.join(), s.afterPrevious])).toEqual([['a', false], ['b', true], ['c', true]]);
    sent[2]?.answer(stored(1));
    sent[1]?.answer(stored(1));
    await new Promise(setImmediate);
    expect(settled).toEqual([]); // b and c wait for a
    sent[0]?.answer(stored(1));
    await Promise.all([a, b, c]);
    await sends(4);
    sent[3]?.answer(stored(1));
    await d;
    expect(settled).toEqual(['a', 'b', 'c', 'd']);
    // d started as a's commit ended, beside b's and c's (answered, not yet settled): planned on them.
    expect(log).toEqual(['plan a', 'plan b', 'plan c', 'committed a', 'plan d', 'committed b', 'committed c', 'committed d']);
    expect(sent[3]?.afterPrevious).toBe(true);
    await queue.close();
  });

  it('with three in flight and the first failing, refuses both planned on it; each is planned afresh on what is committed', async () => {
    const { sent, sends, log, queue } = plannedQueue();
    const answers = [outcome(queue.submit(work('bad')))];
    await sends(1);
    answers.push(outcome(queue.submit(work('b'))));
    await sends(2);
    answers.push(outcome(queue.submit(work('c'))));
    await sends(3);
    expect(sent.map((s) => s.afterPrevious)).toEqual([false, true, true]);
    sent[0]?.answer(new GatewayError('GW_STORE_WRITE_FAILED', 'disk'));
    sent[1]?.answer(new GatewayError('GW_COMMIT_UNSETTLED', 'planned on a failed commit'));
    sent[2]?.answer(new GatewayError('GW_COMMIT_UNSETTLED', 'planned on a refused commit'));
    // The failed one (a message alone) fails; each refused commit goes again, one at a time, on nothing unsettled.
    for (const [n, keys] of [[4, 'b'], [5, 'c']] as const) {
      await sends(n);
      expect(sent[n - 1]).toMatchObject({ keys: [keys], afterPrevious: false });
      sent[n - 1]?.answer(stored(1));
    }
    expect(await Promise.all(answers)).toEqual(['GW_STORE_WRITE_FAILED', 'stored', 'stored']);
    expect(log).toEqual(['plan bad', 'plan b', 'plan c', 'failed bad', 'failed b', 'failed c', 'plan b', 'committed b', 'plan c', 'committed c']);
    await queue.close();
  });

  it('refuses what was planned on a failed commit: the failed one\'s messages go alone, then the refused commit is planned afresh, one commit at a time', async () => {
    const { sent, sends, log, queue } = plannedQueue();
    const first = [outcome(queue.submit(work('bad'))), outcome(queue.submit(work('good')))];
    await sends(1);
    const second = outcome(queue.submit(work('next')));
    await sends(2);
    // The first fails; the writer refuses the second, planned on it.
    sent[0]?.answer(new GatewayError('GW_STORE_WRITE_FAILED', 'disk'));
    sent[1]?.answer(new GatewayError('GW_COMMIT_UNSETTLED', 'planned on a failed commit'));
    const late = outcome(queue.submit(work('late'))); // waits until the failure is handled
    await sends(3); // the first's messages alone, nothing beside them
    expect(sent[2]).toMatchObject({ keys: ['bad'], afterPrevious: false });
    sent[2]?.answer(new GatewayError('GW_STORE_WRITE_FAILED', 'bad row'));
    await sends(4);
    expect(sent[3]).toMatchObject({ keys: ['good'], afterPrevious: false });
    sent[3]?.answer(stored(1));
    await sends(5);
    expect(sent[4]).toMatchObject({ keys: ['next'], afterPrevious: false });
    sent[4]?.answer(stored(1));
    await sends(6);
    expect(sent[5]).toMatchObject({ keys: ['late'], afterPrevious: false });
    sent[5]?.answer(stored(1));
    expect(await Promise.all([...first, second, late])).toEqual(['GW_STORE_WRITE_FAILED', 'stored', 'stored', 'stored']);
    expect(log).toEqual(['plan bad+good', 'plan next', 'failed bad+good', 'failed next', 'plan bad', 'failed bad', 'plan good', 'committed good', 'plan next', 'committed next', 'plan late', 'committed late']);
    // All well again: the next commits are pipelined once more.
    const again = [queue.submit(work('x'))];
    await sends(7);
    again.push(queue.submit(work('y')));
    await sends(8);
    expect(sent[7]?.afterPrevious).toBe(true);
    sent[6]?.answer(stored(1));
    sent[7]?.answer(stored(1));
    await Promise.all(again);
    await queue.close();
  });

  it('fails the plan made beside a failed commit that had none, before anything is planned again', async () => {
    const { sent, sends, log, queue } = plannedQueue();
    const first = [queue.submit(work('quiet1')), queue.submit(work('quiet2'))];
    await sends(1);
    const second = queue.submit(work('b'));
    await sends(2);
    sent[0]?.answer(new GatewayError('GW_STORE_WRITE_FAILED', 'disk'));
    sent[1]?.answer(new GatewayError('GW_COMMIT_UNSETTLED', 'planned on a failed commit'));
    for (const n of [3, 4, 5]) {
      await sends(n);
      sent[n - 1]?.answer(stored(1));
    }
    await Promise.all([...first, second]);
    expect(log).toEqual(['plan quiet1+quiet2', 'plan b', 'failed b', 'plan quiet1', 'plan quiet2', 'plan b', 'committed b']);
    await queue.close();
  });

  it('sends one commit at a time while the planner cannot plan beside one, or the writer is not pipelined', async () => {
    let canPipeline = false;
    const { writer, sent, sends } = heldWriter();
    const queue = new CommitQueue(writer, 10_000);
    queue.usePlanner(loggingPlanner(() => canPipeline).planner);
    const a = queue.submit(work('a'));
    await sends(1);
    const b = queue.submit(work('b'));
    await sends(1);
    canPipeline = true;
    sent[0]?.answer(stored(1));
    await a;
    await sends(2);
    expect(sent[1]?.afterPrevious).toBe(false); // nothing in flight when it was planned
    sent[1]?.answer(stored(1));
    await b;
    await queue.close();

    const plain = heldWriter();
    const serial = new CommitQueue({ commit: plain.writer.commit }, 10_000);
    const c = serial.submit(work('c'));
    await plain.sends(1);
    const d = serial.submit(work('d'));
    await plain.sends(1);
    plain.sent[0]?.answer(stored(1));
    await plain.sends(2);
    plain.sent[1]?.answer(stored(1));
    await Promise.all([c, d]);
    await serial.close();
  });

  it('without a planner, sends the next commit beside one without making it depend on it', async () => {
    const { writer, sent, sends } = heldWriter();
    const queue = new CommitQueue(writer, 10_000);
    const a = queue.submit(work('a')).catch((e: GatewayError) => e.code);
    await sends(1);
    const b = queue.submit(work('b'));
    await sends(2);
    expect(sent[1]?.afterPrevious).toBe(false);
    sent[0]?.answer(new GatewayError('GW_STORE_WRITE_FAILED', 'disk'));
    sent[1]?.answer(stored(1));
    expect(await b).toEqual([true]);
    expect(await a).toBe('GW_STORE_WRITE_FAILED');
    await queue.close();
  });
});

/**
 * A pipelined writer as the contract has it: requests written in the order sent, one turn of the
 * event loop each; a request sent after a failed one refused unwritten; the n-th written attempt
 * failing when `fails[n]` says so. Each commit carries, as its plan's work, the number of readings
 * its plan expected to be committed before it: the writer checks that against what it holds.
 */
function modelWriter(fails: readonly boolean[]) {
  const stored: string[] = [];
  const mismatches: string[] = [];
  let attempts = 0;
  let previousCommitted = false;
  let queue: Promise<void> = Promise.resolve();
  const writer: ReadingWriter = {
    pipelined: true,
    commit: (batch, afterPrevious = false) => {
      const answer = queue.then(async () => {
        await new Promise(setImmediate);
        if (afterPrevious && !previousCommitted) throw new GatewayError('GW_COMMIT_UNSETTLED', 'planned on a failed commit');
        if (fails[attempts++ % fails.length] === true) {
          previousCommitted = false;
          throw new GatewayError('GW_STORE_WRITE_FAILED', 'injected');
        }
        const expected = Number(batch.health.find((h) => h.deviceId.startsWith('plan:'))?.deviceId.slice(5) ?? NaN);
        if (expected !== stored.length) mismatches.push(`planned on ${expected} readings, written after ${stored.length}`);
        const inserted = batch.readings.map((r) => !stored.includes(r.idempotencyKey) && stored.push(r.idempotencyKey) > 0);
        previousCommitted = true;
        return { inserted };
      });
      queue = answer.then(() => undefined, () => undefined);
      return answer;
    },
  };
  return { writer, stored, mismatches };
}

/**
 * A planner as the alert engine plans: each plan made on what is committed and on every plan made
 * before it and not yet settled (their readings counted), settling in order, a failure failing
 * every plan made after it.
 */
function countingPlanner() {
  let committed = 0;
  let unsettled: { readings: number }[] = [];
  const planner: CommitPlanner = {
    plan(works) {
      const readings = works.reduce((n, w) => n + w.work.readings.length, 0);
      const expected = committed + unsettled.reduce((n, u) => n + u.readings, 0);
      const entry = { readings };
      unsettled.push(entry);
      return {
        work: { readings: [], deadLetters: [], health: [{ deviceId: `plan:${expected}`, seenAtMs: 0 }] },
        settle: (ok) => {
          const at = unsettled.indexOf(entry);
          if (at < 0) return;
          if (ok) {
            unsettled.splice(at, 1);
            committed += readings;
          } else unsettled = unsettled.slice(0, at);
        },
      };
    },
    pipelines: () => true,
  };
  return { planner, committed: () => committed };
}

describe('CommitQueue on a pipelined writer, any failures (property)', () => {
  it('writes every commit on exactly what its plan was made on, and stores each acknowledged message once and no other', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
        async (turns, fails) => {
          const { writer, stored, mismatches } = modelWriter(fails.some((f) => !f) ? fails : [...fails, false]);
          const { planner, committed } = countingPlanner();
          const queue = new CommitQueue(writer, 3);
          queue.usePlanner(planner);
          const answers: Promise<[string, boolean]>[] = [];
          let n = 0;
          for (const count of turns) {
            for (let i = 0; i < count; i++) {
              const key = `m${n++}`;
              answers.push(queue.submit(work(key)).then(() => [key, true] as [string, boolean], () => [key, false] as [string, boolean]));
            }
            await new Promise(setImmediate);
          }
          const outcomes = await Promise.all(answers);
          await queue.close();
          expect(mismatches).toEqual([]);
          expect([...stored].sort()).toEqual(outcomes.filter(([, ok]) => ok).map(([key]) => key).sort());
          expect(committed()).toBe(stored.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
