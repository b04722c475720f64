import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundledProfilesDir } from '../../src/config/index.js';
import { GatewayError } from '../../src/domain/index.js';
import { loadProfiles } from '../../src/profiles/index.js';
import { tempDir } from '../helpers/gateway.js';
import { shippedProfile } from '../helpers/profiles.js';

const good = shippedProfile('thermometer');

function loadWith(files: Record<string, unknown>): string {
  const tmp = tempDir();
  try {
    for (const [name, body] of Object.entries(files)) writeFileSync(join(tmp.dir, name), typeof body === 'string' ? body : JSON.stringify(body));
    loadProfiles(tmp.dir);
    return '';
  } catch (e) {
    if (e instanceof GatewayError && e.code === 'GW_PROFILE_INVALID') return e.message;
    throw e;
  } finally {
    tmp.remove();
  }
}

describe('device profiles', () => {
  it('ships the six device classes and two vendor-shaped profiles, all valid', () => {
    const catalog = loadProfiles(bundledProfilesDir());
    expect([...catalog.values()].map((p) => p.deviceClass).sort()).toEqual(
      expect.arrayContaining(['blood-pressure-monitor', 'pulse-oximeter', 'thermometer', 'weight-scale', 'glucose-meter', 'wearable']),
    );
    expect([...catalog.values()].filter((p) => p.payload.format === 'vendor').length).toBeGreaterThanOrEqual(2);
    expect(catalog.get('wrist-wearable')?.sampling).toBe('continuous');
  });

  it('fails naming the file and the field', () => {
    const msg = loadWith({ 'broken.json': { ...good, maxMessagesPerMinute: -1 } });
    expect(msg).toMatch(/broken\.json: maxMessagesPerMinute: /);
  });

  it('reports semantic problems: inconvertible unit, unknown rule metric, bad zone, inverted limits, duplicate id', () => {
    const msg = loadWith({
      'a.json': {
        ...good,
        timeZone: 'Mars/Olympus',
        metrics: { bodyTemperature: { unit: 'Cel', alternativeUnits: ['kg'], limits: { min: 45, max: 30 } } },
        rules: [{ type: 'greater-than', metric: 'bodyTemperature', than: 'nope' }],
      },
      'b.json': good,
      'c.json': good,
    });
    expect(msg).toMatch(/a\.json: metrics\.bodyTemperature\.limits: min must be below max/);
    expect(msg).toMatch(/a\.json: metrics\.bodyTemperature\.alternativeUnits\.0: no known conversion from kg to Cel/);
    expect(msg).toMatch(/a\.json: rules\.0\.than: "nope" is not a metric/);
    expect(msg).toMatch(/a\.json: timeZone: "Mars\/Olympus"/);
    expect(msg).toMatch(/c\.json: id: "thermometer" is used by another profile/);
  });

  it('rejects unknown keys and broken JSON', () => {
    expect(loadWith({ 'x.json': { ...good, colour: 'blue' } })).toMatch(/x\.json: \(root\): .*colour/);
    expect(loadWith({ 'y.json': '{ nope' })).toMatch(/y\.json: not valid JSON/);
  });

  it('checks vendor mappings name declared metrics and accepted units', () => {
    const vendor = shippedProfile('contoso-scale');
    const msg = loadWith({
      'v.json': { ...vendor, payload: { ...vendor.payload, values: { bodyWeight: { path: 'w', unit: 'stone' }, height: { path: 'h' } } } },
    });
    expect(msg).toMatch(/payload\.values\.bodyWeight\.unit: stone/);
    expect(msg).toMatch(/payload\.values\.height: not a metric/);
  });
});
