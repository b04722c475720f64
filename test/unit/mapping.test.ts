import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalReadingPayload, plainReading } from '../../src/profiles/canonical.js';
import { mapPayload, readPath } from '../../src/profiles/index.js';
import { shippedProfile } from '../helpers/profiles.js';

describe('mapPayload', () => {
  const bp = shippedProfile('bp-upper-arm');

  it('accepts the canonical shape, single or batched', () => {
    const one = { messageId: 'm1', takenAt: '2026-03-14T08:30:00Z', values: { systolic: 128, diastolic: 82 } };
    expect(mapPayload(bp, one)).toEqual({ ok: true, value: [{ messageId: 'm1', takenAt: one.takenAt, deviceTime: undefined, values: one.values, units: {} }] });
    const batch = mapPayload(bp, [one, { ...one, messageId: 'm2' }]);
    expect(batch.ok && batch.value.map((r) => r.messageId)).toEqual(['m1', 'm2']);
  });

  it('names the bad field of a canonical payload', () => {
    const r = mapPayload(bp, [{ takenAt: '2026-03-14T08:30:00Z', values: { systolic: 1 } }, { values: {}, extra: 1 }]);
    expect(!r.ok && r.error.map((i) => `${i.code}@${i.path}`)).toEqual(
      expect.arrayContaining(['payload-invalid@[1].takenAt', 'payload-invalid@[1]']),
    );
    for (const values of [{}, [128], null, 'x']) {
      expect(mapPayload(bp, { takenAt: '2026-03-14T08:30:00Z', values })).toEqual({
        ok: false,
        error: [{ code: 'payload-invalid', path: 'values', message: 'expected an object holding at least one value' }],
      });
    }
    expect(mapPayload(bp, 42).ok).toBe(false);
    expect(mapPayload(bp, []).ok).toBe(false);
  });

  it('reads a vendor shape through the profile\'s field paths (Northwind BP3: kPa, epoch seconds)', () => {
    const r = mapPayload(shippedProfile('northwind-bp3'), { seq: 77, ts: 1_773_477_000, clock: 1_773_477_060, bp: { sys: 16, dia: 10.7, unit: 'kPa' }, hr: 64 });
    expect(r).toEqual({
      ok: true,
      value: [{ messageId: '77', takenAt: 1_773_477_000_000, deviceTime: 1_773_477_060_000, values: { systolic: 16, diastolic: 10.7, pulse: 64 }, units: { systolic: 'kPa', diastolic: 'kPa' } }],
    });
  });

  it('reads a vendor batch (Contoso scale: pounds, local time)', () => {
    const r = mapPayload(shippedProfile('contoso-scale'), { device: 'WS-20', measurements: [{ id: 'a', time: '2026-03-14T07:00:00', weight_lb: 170 }, { id: 'b', time: '2026-03-15T07:00:00', weight_lb: 171 }] });
    expect(r.ok && r.value.map((x) => [x.messageId, x.values['bodyWeight'], x.units['bodyWeight']])).toEqual([
      ['a', 170, 'lb'],
      ['b', 171, 'lb'],
    ]);
  });

  it('rejects a vendor payload missing its batch or every mapped field', () => {
    const scale = shippedProfile('contoso-scale');
    expect(mapPayload(scale, { measurements: [] })).toMatchObject({ ok: false, error: [{ code: 'payload-invalid', path: 'measurements' }] });
    expect(mapPayload(scale, { measurements: [{ id: 'a', time: 'x' }, 5] })).toMatchObject({
      ok: false,
      error: [{ code: 'payload-invalid', path: 'measurements[0]' }, { code: 'payload-invalid', path: 'measurements[1]' }],
    });
  });
});

describe('readPath', () => {
  it('follows keys and array indexes, never the prototype', () => {
    expect(readPath({ a: { b: [1, { c: 2 }] } }, 'a.b.1.c')).toBe(2);
    expect(readPath({ a: 1 }, 'a.b')).toBeUndefined();
    expect(readPath({}, 'constructor')).toBeUndefined();
    expect(readPath({}, '__proto__')).toBeUndefined();
  });
});

describe('plainReading (the common payload checked by hand)', () => {
  /** What the schema makes of a payload: the reading mapPayload returns, or undefined when refused. */
  const bySchema = (json: unknown) => {
    const parsed = CanonicalReadingPayload.safeParse(json);
    if (!parsed.success) return undefined;
    const r = parsed.data;
    return { messageId: r.messageId, takenAt: r.takenAt, deviceTime: r.deviceTime, values: r.values, units: r.units ?? {} };
  };
  // Strings at and around the schema's bounds as often as any other.
  const text = (max: number) =>
    fc.oneof(fc.constantFrom(0, 1, 2, max - 1, max, max + 1).map((n) => 'x'.repeat(n)), fc.string({ maxLength: max + 2 }), fc.integer(), fc.constant(null));
  const values = fc.dictionary(fc.constantFrom('systolic', 'pulse', 'constructor'), fc.oneof(fc.integer(), fc.string()), { maxKeys: 3 });
  const payload = fc.record(
    {
      messageId: text(128),
      takenAt: text(64),
      deviceTime: text(64),
      values: fc.oneof(values, fc.array(fc.integer()), fc.constant(null), fc.string()),
      units: fc.dictionary(fc.constantFrom('systolic', 'pulse'), fc.string({ maxLength: 34 })),
      extra: fc.integer(),
    },
    { requiredKeys: [] },
  );
  // Mostly what devices send: every field a string near its bounds, values an object.
  const likely = fc.record(
    { messageId: text(128), takenAt: text(64), deviceTime: text(64), values },
    { requiredKeys: ['takenAt', 'values'] },
  );

  it('accepts exactly what the schema accepts among payloads without units, as the schema maps it, and leaves anything else to the schema', () => {
    fc.assert(
      fc.property(fc.oneof(payload, likely, likely.map((p) => JSON.parse(JSON.stringify(p)) as unknown), fc.anything()), (json) => {
        const fast = plainReading(json);
        const schema = bySchema(json);
        if (fast !== undefined) expect(fast).toEqual(schema);
        const withUnits = typeof json === 'object' && json !== null && 'units' in json;
        if (!withUnits && !Array.isArray(json)) expect(fast === undefined).toBe(schema === undefined);
      }),
      { numRuns: 2_000 },
    );
  });

  it('takes the payload devices send most', () => {
    const one = { messageId: 'm1', takenAt: '2026-03-14T08:30:00Z', values: { systolic: 128, diastolic: 82, pulse: 71 } };
    expect(plainReading(one)).toEqual({ ...one, deviceTime: undefined, units: {} });
    expect(plainReading(JSON.parse('{"takenAt":"x","values":{"a":1},"__proto__":{}}'))).toBeUndefined();
  });
});
