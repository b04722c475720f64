import { describe, expect, it } from 'vitest';
import { news2, news2Response, pulseScore, respiratoryRateScore, spo2Scale1Score, spo2Scale2Score, systolicScore, temperatureScore } from '../../src/clinical/index.js';

// Every band edge of NEWS2 chart 1 (RCP 2017): [value, score] on both sides of each boundary.
describe('NEWS2 chart 1 band edges', () => {
  it.each([[0, 3], [8, 3], [9, 1], [11, 1], [12, 0], [20, 0], [21, 2], [24, 2], [25, 3], [60, 3]])('respiration rate %d/min scores %d', (v, s) => {
    expect(respiratoryRateScore(v)).toBe(s);
  });

  it.each([[70, 3], [91, 3], [92, 2], [93, 2], [94, 1], [95, 1], [96, 0], [100, 0]])('SpO2 scale 1 %d%% scores %d', (v, s) => {
    expect(spo2Scale1Score(v)).toBe(s);
  });

  it.each([
    [83, false, 3], [84, false, 2], [85, false, 2], [86, false, 1], [87, false, 1], [88, false, 0], [92, false, 0],
    // The trap: on air, 93 and above scores 0 on scale 2.
    [93, false, 0], [97, false, 0], [100, false, 0],
    [83, true, 3], [88, true, 0], [92, true, 0], [93, true, 1], [94, true, 1], [95, true, 2], [96, true, 2], [97, true, 3], [100, true, 3],
  ])('SpO2 scale 2 %d%% (oxygen: %s) scores %d', (v, o, s) => {
    expect(spo2Scale2Score(v, o)).toBe(s);
  });

  it.each([[60, 3], [90, 3], [91, 2], [100, 2], [101, 1], [110, 1], [111, 0], [219, 0], [220, 3], [260, 3]])('systolic %d mmHg scores %d', (v, s) => {
    expect(systolicScore(v)).toBe(s);
  });

  it.each([[30, 3], [40, 3], [41, 1], [50, 1], [51, 0], [90, 0], [91, 1], [110, 1], [111, 2], [130, 2], [131, 3], [180, 3]])('pulse %d/min scores %d', (v, s) => {
    expect(pulseScore(v)).toBe(s);
  });

  it.each([[34, 3], [35.0, 3], [35.1, 1], [36.0, 1], [36.1, 0], [38.0, 0], [38.1, 1], [39.0, 1], [39.1, 2], [41, 2]])('temperature %d °C scores %d', (v, s) => {
    expect(temperatureScore(v)).toBe(s);
  });

  // [clinical.md gateway rules] a value between two bands scores the more severe band, on every parameter.
  it.each([
    ['respiration rate', respiratoryRateScore, 8.5, 3],
    ['respiration rate', respiratoryRateScore, 11.4, 1],
    ['respiration rate', respiratoryRateScore, 20.5, 2],
    ['respiration rate', respiratoryRateScore, 24.1, 3],
    ['SpO2 scale 1', spo2Scale1Score, 91.5, 3],
    ['SpO2 scale 1', spo2Scale1Score, 93.9, 2],
    ['SpO2 scale 1', spo2Scale1Score, 95.5, 1],
    ['SpO2 scale 2 on air', (v: number) => spo2Scale2Score(v, false), 83.5, 3],
    ['SpO2 scale 2 on air', (v: number) => spo2Scale2Score(v, false), 87.5, 1],
    ['SpO2 scale 2 on oxygen', (v: number) => spo2Scale2Score(v, true), 92.5, 1],
    ['SpO2 scale 2 on oxygen', (v: number) => spo2Scale2Score(v, true), 96.5, 3],
    ['systolic', systolicScore, 90.5, 3],
    ['systolic', systolicScore, 110.2, 1],
    ['systolic', systolicScore, 219.5, 3],
    ['pulse', pulseScore, 40.5, 3],
    ['pulse', pulseScore, 50.5, 1],
    ['pulse', pulseScore, 90.5, 1],
    ['pulse', pulseScore, 130.5, 3],
    ['temperature', temperatureScore, 35.05, 3],
    ['temperature', temperatureScore, 36.04, 1],
    ['temperature', temperatureScore, 38.05, 1],
    ['temperature', temperatureScore, 39.05, 2],
  ] as const)('%s %d, between two bands, scores the more severe: %d', (_, score, value, expected) => {
    expect(score(value)).toBe(expected);
  });

  it('a value inside one band scores that band, whatever its decimals', () => {
    expect(respiratoryRateScore(15.5)).toBe(0);
    expect(spo2Scale1Score(97.3)).toBe(0);
    expect(temperatureScore(36.8)).toBe(0);
    expect(temperatureScore(36.1)).toBe(0);
    expect(temperatureScore(35.1)).toBe(1);
  });
});

const full = { respiratoryRate: 16, spo2: 97, spo2Scale: 1 as const, onOxygen: false, systolic: 125, pulse: 72, consciousness: 'A' as const, temperature: 36.8 };

describe('news2', () => {
  it('scores a full, normal set 0: routine monitoring, not partial', () => {
    expect(news2(full)).toEqual({
      total: 0,
      subscores: { respiratoryRate: 0, spo2: 0, onOxygen: 0, systolic: 0, pulse: 0, consciousness: 0, temperature: 0 },
      response: 'routine',
      partial: false,
      missing: [],
      spo2Scale: 1,
    });
  });

  it('adds 2 for supplemental oxygen and 3 for any new confusion, voice, pain or unresponsiveness', () => {
    expect(news2({ ...full, onOxygen: true }).subscores.onOxygen).toBe(2);
    for (const c of ['C', 'V', 'P', 'U'] as const) expect(news2({ ...full, consciousness: c }).subscores.consciousness).toBe(3);
  });

  it('uses scale 2 only when asked, with oxygen deciding high saturations', () => {
    expect(news2({ ...full, spo2: 97 }).subscores.spo2).toBe(0);
    expect(news2({ ...full, spo2: 97, spo2Scale: 2, onOxygen: false }).subscores.spo2).toBe(0);
    expect(news2({ ...full, spo2: 97, spo2Scale: 2, onOxygen: true })).toMatchObject({ subscores: { spo2: 3, onOxygen: 2 }, total: 5, response: 'urgent', spo2Scale: 2 });
    expect(news2({ ...full, spo2: 90 }).subscores.spo2).toBe(3);
    expect(news2({ ...full, spo2: 90, spo2Scale: 2 }).subscores.spo2).toBe(0);
  });

  it('flags a partial score, lists what is missing, and derives the response from the floor', () => {
    const partial = news2({ spo2: 91, pulse: 95, temperature: null });
    expect(partial).toEqual({
      total: 4,
      subscores: { respiratoryRate: null, spo2: 3, onOxygen: null, systolic: null, pulse: 1, consciousness: null, temperature: null },
      response: 'urgent-ward-based',
      partial: true,
      missing: ['respiratoryRate', 'onOxygen', 'systolic', 'consciousness', 'temperature'],
      spo2Scale: 1,
    });
    expect(news2({})).toMatchObject({ total: 0, response: 'routine', partial: true, missing: ['respiratoryRate', 'spo2', 'onOxygen', 'systolic', 'pulse', 'consciousness', 'temperature'] });
  });

  it('scores scale 2 saturations as on air when oxygen use is unknown (the floor), listing onOxygen missing', () => {
    expect(news2({ ...full, spo2Scale: 2, spo2: 97, onOxygen: null })).toMatchObject({ subscores: { spo2: 0, onOxygen: null }, partial: true, missing: ['onOxygen'] });
  });
});

describe('NEWS2 chart 2 responses', () => {
  it.each([
    [0, false, 'routine'],
    [1, false, 'ward-based'],
    [4, false, 'ward-based'],
    [3, true, 'urgent-ward-based'],
    [4, true, 'urgent-ward-based'],
    [5, false, 'urgent'],
    [6, true, 'urgent'],
    [7, false, 'emergency'],
    [20, true, 'emergency'],
  ] as const)('total %d (a single 3: %s) → %s', (total, three, response) => {
    expect(news2Response(total, three)).toBe(response);
  });

  it('takes a single 3 from the set: a rate of 25 alone is urgent ward-based', () => {
    expect(news2({ ...full, respiratoryRate: 25 })).toMatchObject({ total: 3, response: 'urgent-ward-based' });
    expect(news2({ ...full, respiratoryRate: 21, pulse: 111 })).toMatchObject({ total: 4, response: 'ward-based' });
  });
});
