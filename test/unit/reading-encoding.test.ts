import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readingsOf, rowsOf, type ReadingRow } from '../../src/domain/index.js';
import { packReadings, toReadings, unpackReadings } from '../../src/store/reading-encoding.js';

const now = Date.now();

/** A value row of a reading; rows of one reading share its key and times. */
const row = fc.record({
  idempotencyKey: fc.constantFrom('k1', 'k2', 'k3'),
  deviceId: fc.constantFrom('bp-1', 'ox-2'),
  patientNhs: fc.constantFrom('9434765919', '9434765870'),
  profileId: fc.constantFrom('bp-upper-arm', 'pulse-oximeter'),
  metric: fc.constantFrom('systolic', 'diastolic', 'pulse', 'spo2', 'temperature'),
  // −0 is 0 in the values JSON the store keeps (and so in what the rollups read back).
  value: fc.oneof(fc.integer({ min: -50, max: 300 }), fc.double({ min: -50, max: 300, noNaN: true })).map((v) => (v === 0 ? 0 : v)),
  unit: fc.constantFrom('mm[Hg]', '/min', '%', 'Cel'),
  sourceUnit: fc.option(fc.constantFrom('kPa', '[degF]'), { nil: undefined }),
  deviceTakenAtMs: fc.integer({ min: now - 86_400_000, max: now }),
  takenAtMs: fc.integer({ min: now - 86_400_000, max: now }),
  receivedAtMs: fc.constant(now),
  clockOffsetMs: fc.option(fc.integer({ min: -60_000, max: 60_000 }), { nil: undefined }),
  messageId: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
  payloadSha256: fc.option(fc.constantFrom('ab'.repeat(32), 'cd'.repeat(32)), { nil: undefined }),
}) satisfies fc.Arbitrary<ReadingRow>;

describe('a reading and its values as rows', () => {
  it('rowsOf and readingsOf undo each other: each reading\'s fields on each of its rows, its payload hash on the first', () => {
    const value = fc.record({ value: fc.integer({ min: 0, max: 300 }), unit: fc.constantFrom('mm[Hg]', '/min'), sourceUnit: fc.option(fc.constant('kPa'), { nil: undefined }) });
    const values = fc.uniqueArray(fc.tuple(fc.constantFrom('systolic', 'diastolic', 'pulse', 'spo2'), value), { minLength: 1, maxLength: 4, selector: ([m]) => m });
    // Readings as the pipeline makes them: a reading's fields from one row, its values its own.
    const readings = fc.array(fc.tuple(row, values), { maxLength: 12 }).map((list) =>
      list.map(([r, vs], i) => {
        const { metric: _m, value: _v, unit: _u, sourceUnit: _s, ...fields } = r;
        return { ...fields, idempotencyKey: `${r.idempotencyKey}-${i}`, payloadSha256: r.payloadSha256, values: vs.map(([metric, v]) => ({ metric, ...v })) };
      }),
    );
    fc.assert(
      fc.property(readings, (list) => {
        const rows = list.flatMap(rowsOf);
        expect(rows).toHaveLength(list.reduce((n, r) => n + r.values.length, 0));
        for (const r of list) expect(rowsOf(r).map((x) => x.payloadSha256)).toEqual(r.values.map((_, i) => (i === 0 ? r.payloadSha256 : undefined)));
        expect(readingsOf(rows)).toEqual(list);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('readings packed for the writer thread', () => {
  it('group value rows into readings (readingsOf), each with the columns of its first row and its values side by side', () => {
    // What grouping means, written plainly: a reading runs while the key stays and no metric repeats.
    const oracle = (rows: readonly ReadingRow[]) => {
      const groups: ReadingRow[][] = [];
      for (const r of rows) {
        const last = groups.at(-1);
        if (last !== undefined && last[0]?.idempotencyKey === r.idempotencyKey && !last.some((x) => x.metric === r.metric)) last.push(r);
        else groups.push([r]);
      }
      return groups.map((g) => {
        const f = g[0] as ReadingRow;
        const sha = g.find((r) => r.payloadSha256 !== undefined)?.payloadSha256 ?? null;
        return [f.idempotencyKey, f.deviceId, f.patientNhs, f.profileId, f.takenAtMs, f.deviceTakenAtMs, f.receivedAtMs, f.clockOffsetMs ?? null, f.messageId ?? null, sha,
          g.map((r) => r.metric), g.map((r) => r.value)];
      });
    };
    fc.assert(
      fc.property(fc.array(row, { maxLength: 30 }), (rows) => {
        const tuples = unpackReadings(structuredClone(packReadings(readingsOf(rows))));
        expect(tuples.map((t) => [...t.slice(0, 4), ...t.slice(5)])).toEqual(oracle(rows));
        expect(toReadings(readingsOf(rows))).toEqual(tuples);
      }),
      { numRuns: 2000 },
    );
  });

  it('keep each reading\'s values as JSON.stringify writes them, whatever the metric names, units and values', () => {
    // What the encoding must equal: an object of the reading's values, metric → [value, unit, unit sent?], stringified.
    const oracle = (rows: readonly ReadingRow[]): string[] => {
      const out: string[] = [];
      let json: Record<string, unknown> = {};
      let key: string | undefined;
      for (const r of rows) {
        if (r.idempotencyKey !== key || Object.hasOwn(json, r.metric)) {
          if (key !== undefined) out.push(JSON.stringify(json));
          json = {};
          key = r.idempotencyKey;
        }
        json[r.metric] = r.sourceUnit === undefined ? [r.value, r.unit] : [r.value, r.unit, r.sourceUnit];
      }
      if (key !== undefined) out.push(JSON.stringify(json));
      return out;
    };
    const odd = row.chain((r) =>
      fc.record({
        metric: fc.constantFrom('systolic', 'diastolic', 'pulse', 'a', 'b2', 'zZ9'),
        unit: fc.oneof(fc.constantFrom('mm[Hg]', '"', '\\', 'µmol/L', '\u2028'), fc.string({ maxLength: 4 })),
        value: fc.oneof(fc.double(), fc.integer()),
      }).map((over) => ({ ...r, ...over })),
    );
    fc.assert(
      fc.property(fc.array(odd, { maxLength: 30 }), (rows) => {
        expect(toReadings(readingsOf(rows)).map((t) => t[4])).toEqual(oracle(rows));
      }),
      { numRuns: 300 },
    );
  });

  it('survive structured clone as one flat array of primitives: 11 entries a reading, and 4 a value', () => {
    const rows: ReadingRow[] = ['systolic', 'diastolic', 'pulse'].map((metric, i) => ({
      idempotencyKey: 'k1', deviceId: 'bp-1', patientNhs: '9434765919', profileId: 'bp-upper-arm', metric, value: [128, 82, 71][i] as number,
      unit: metric === 'pulse' ? '/min' : 'mm[Hg]', sourceUnit: i === 0 ? 'kPa' : undefined, deviceTakenAtMs: now - 1000, takenAtMs: now - 900,
      receivedAtMs: now, clockOffsetMs: 100, messageId: 'm-1', payloadSha256: i === 1 ? 'ab'.repeat(32) : undefined,
    }));
    const packed = packReadings(readingsOf([...rows, ...rows]));
    expect(packed).toHaveLength(2 * (11 + 3 * 4)); // the same reading twice: the second is refused later by its key
    expect(packed.every((v) => v === null || typeof v !== 'object')).toBe(true);
    const [first] = unpackReadings(structuredClone(packed));
    expect(first?.slice(11)).toEqual([['systolic', 'diastolic', 'pulse'], [128, 82, 71]]);
    expect(JSON.parse(first?.[4] as string)).toEqual({ systolic: [128, 'mm[Hg]', 'kPa'], diastolic: [82, 'mm[Hg]'], pulse: [71, '/min'] });
    expect(first?.[10]).toBe('ab'.repeat(32)); // the reading's hash, from whichever row kept it
    // −0 reaches the rollups as the 0 its values JSON holds.
    const [zero] = toReadings(readingsOf([{ ...(rows[0] as ReadingRow), value: -0 }]));
    expect(Object.is(zero?.[12][0], 0)).toBe(true);
  });
});
