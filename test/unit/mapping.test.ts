import { describe, expect, it } from 'vitest';
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
