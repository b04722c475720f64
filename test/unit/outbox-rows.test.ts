import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { outboxRows, packOutbox, unpackOutbox } from '../../src/store/outbox-rows.js';
import type { OutboxEntry } from '../../src/store/reading-store.js';

const entry: fc.Arbitrary<OutboxEntry> = fc.record(
  {
    sink: fc.constantFrom('influx', 'fhir', 'alert-webhook'),
    payload: fc.string({ maxLength: 40 }),
    firstReading: fc.nat(50),
    readingCount: fc.nat(4),
    lane: fc.constantFrom('clinician-1', 'clinician-2', ''),
    completion: fc.constant('line-protocol' as const),
  },
  { requiredKeys: ['sink', 'payload', 'firstReading', 'readingCount'] },
);

describe('outbox entries packed for the writer thread', () => {
  it('unpack to the entries packed, lanes (even an empty one), completions and all', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), (entries) => {
        expect(unpackOutbox(packOutbox(entries))).toEqual(entries);
      }),
    );
  });

  it('survive structured clone and become the same outbox rows', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), (entries, inserted) => {
        expect(outboxRows(unpackOutbox(structuredClone(packOutbox(entries))), inserted)).toEqual(outboxRows(entries, inserted));
      }),
    );
  });
});

describe('outboxRows', () => {
  it('keeps an entry only if one of its rows is new or it has none, one row per laned entry and one per other sink', () => {
    const entries: OutboxEntry[] = [
      { sink: 'influx', payload: 'a', firstReading: 0, readingCount: 3 },
      { sink: 'influx', payload: 'b', firstReading: 3, readingCount: 3 },
      { sink: 'fhir', payload: 'c', firstReading: 3, readingCount: 3 },
      { sink: 'alert', payload: 'd', firstReading: 0, readingCount: 3, lane: 'x' },
      { sink: 'alert', payload: 'e', firstReading: 3, readingCount: 3, lane: 'y' },
      { sink: 'influx', payload: 'f', firstReading: 0, readingCount: 0 },
    ];
    const { laned, bySink } = outboxRows(entries, [false, false, false, false, true, false]);
    expect(laned).toEqual([{ sink: 'alert', payload: 'e', lane: 'y' }]);
    expect([...bySink]).toEqual([
      ['influx', ['b', 'f']],
      ['fhir', ['c']],
    ]);
  });
});
