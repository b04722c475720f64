import { describe, expect, it } from 'vitest';
import { healthReport, type HealthSources } from '../../src/observability/index.js';

const NOW = Date.now();
const sources = (over: Partial<HealthSources> = {}): HealthSources => ({
  storeOpen: () => true,
  committing: () => true,
  alertOutboxes: () => [{ pending: 2, dead: 0, oldestPendingAtMs: NOW - 1000 }],
  pausedOutputs: () => new Map(),
  mqttPort: 1883,
  broker: undefined,
  ble: () => ({ state: 'disabled', status: undefined }),
  now: () => NOW,
  ...over,
});

describe('the health report', () => {
  it('is ok with the store open, commits succeeding and nothing dead, paused or down', () => {
    expect(healthReport(sources())).toMatchObject({ ok: true, status: 'ok', alertDeliveries: { pending: 2, dead: 0, oldestDeadAgeSeconds: null }, mqttPort: 1883, ble: 'disabled' });
    expect(healthReport(sources())).not.toHaveProperty('broker');
  });

  it('fails when commits fail or the store is closed', () => {
    expect(healthReport(sources({ committing: () => false }))).toMatchObject({ ok: false, status: 'failing', commits: 'failing' });
    expect(healthReport(sources({ storeOpen: () => false }))).toMatchObject({ ok: false, status: 'failing', store: 'closed' });
  });

  it('is degraded by a dead alert delivery, a paused output, or a worker connection down', () => {
    const dead = healthReport(sources({ alertOutboxes: () => [{ pending: 0, dead: 1, oldestPendingAtMs: undefined, oldestDeadAtMs: NOW - 90_000 }, { pending: 1, dead: 0, oldestPendingAtMs: NOW }] }));
    expect(dead).toMatchObject({ ok: true, status: 'degraded', alertDeliveries: { pending: 1, dead: 1, oldestDeadAgeSeconds: 90 } });
    expect(healthReport(sources({ pausedOutputs: () => new Map([['fhir', 'authorisation refused (401)']]) }))).toMatchObject({ status: 'degraded', outputs: { fhir: { state: 'paused', reason: 'authorisation refused (401)' } } });
    const down = healthReport(sources({ mqttPort: undefined, broker: () => ({ up: 3, connections: 4, lastError: 'connection closed' }) }));
    expect(down).toMatchObject({ status: 'degraded', mqttPort: null, broker: { up: 3, connections: 4, lastError: 'connection closed' } });
    expect(healthReport(sources({ broker: () => ({ up: 4, connections: 4 }) })).status).toBe('ok');
  });
});
