import { describe, expect, it } from 'vitest';
import { planAlertAction } from '../../src/care/alert-actions.js';
import { bandOf } from '../../src/care/service.js';
import { byUrgency, tierOf, TriageTier, type TriageFacts } from '../../src/care/triage.js';
import type { AlertRecord } from '../../src/store/reading-store.js';

const facts = (patientNhs: string, f: Partial<TriageFacts> = {}): TriageFacts => ({ patientNhs, criticalAlerts: 0, warningAlerts: 0, oldestOpenAlertAtMs: undefined, news2Response: false, staleForMs: undefined, ...f });

describe('triage order', () => {
  it('puts open critical alerts first, then warnings, then a NEWS2 response, then stale data, then the rest', () => {
    const rows = [
      facts('5', {}),
      facts('4', { staleForMs: 3_600_000 }),
      facts('3', { news2Response: true, staleForMs: 10 }),
      facts('2', { warningAlerts: 2, oldestOpenAlertAtMs: 10, news2Response: true }),
      facts('1', { criticalAlerts: 1, oldestOpenAlertAtMs: 50 }),
    ];
    expect([...rows].sort(byUrgency).map((r) => r.patientNhs)).toEqual(['1', '2', '3', '4', '5']);
    expect(rows.map(tierOf)).toEqual([TriageTier.Rest, TriageTier.Stale, TriageTier.News2, TriageTier.Warning, TriageTier.Critical]);
  });

  it('within a tier, the longest-waiting alert first, then the longest silence, then the NHS number', () => {
    const rows = [facts('b', { criticalAlerts: 1, oldestOpenAlertAtMs: 200 }), facts('a', { criticalAlerts: 1, oldestOpenAlertAtMs: 100 }), facts('d', { staleForMs: 5 }), facts('c', { staleForMs: 50 }), facts('f'), facts('e')];
    expect([...rows].sort(byUrgency).map((r) => r.patientNhs)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });
});

const alert = (state: AlertRecord['state']): AlertRecord => ({ id: 'a1', key: 'k', patientNhs: '9434765919', deviceId: 'd', ruleId: 'r', severity: 'critical', state, message: 'm', value: 181, openedAtMs: 1_000, updatedAtMs: 1_000 });

describe('alert actions', () => {
  it('acknowledges an open alert once, with who and the note', () => {
    const r = planAlertAction(alert('open'), { kind: 'acknowledge', note: 'called the patient' }, 'dr-a', 5_000);
    expect(r).toEqual({ ok: true, value: { alert: { ...alert('open'), state: 'acknowledged', updatedAtMs: 5_000 }, by: 'dr-a', note: 'called the patient' } });
    expect(planAlertAction(alert('acknowledged'), { kind: 'acknowledge', note: 'again' }, 'dr-a', 6_000)).toEqual({ ok: false, error: 'conflict' });
  });

  it('snoozes escalation until a time, assigns to a colleague, resolves; a resolved alert changes no more', () => {
    const snooze = planAlertAction(alert('open'), { kind: 'snooze', minutes: 30, note: 'in clinic' }, 'dr-a', 0);
    expect(snooze.ok && snooze.value.alert.snoozedUntilMs).toBe(1_800_000);
    expect(snooze.ok && snooze.value.alert.state).toBe('open');
    const assign = planAlertAction(alert('acknowledged'), { kind: 'assign', to: 'dr-b', note: 'yours' }, 'dr-a', 0);
    expect(assign.ok && assign.value.alert.assignedTo).toBe('dr-b');
    expect(assign.ok && assign.value.note).toBe('assigned to dr-b: yours');
    expect(planAlertAction(alert('acknowledged'), { kind: 'resolve', note: 'settled' }, 'dr-a', 0).ok).toBe(true);
    for (const kind of ['acknowledge', 'resolve'] as const) expect(planAlertAction(alert('resolved'), { kind, note: 'n' }, 'dr-a', 0)).toEqual({ ok: false, error: 'conflict' });
  });
});

describe('threshold band', () => {
  const t = (metric: string, above?: number, below?: number) => ({ ruleId: `${metric}-${above ?? below}`, metric, above, below, severity: 'warning', override: undefined });
  it('lies above every lower limit and below every upper one for the metric', () => {
    expect(bandOf([t('systolic', 179), t('systolic', undefined, 91), t('systolic', 159), t('spo2', undefined, 92)], 'systolic')).toEqual({ low: 91, high: 159 });
    expect(bandOf([t('spo2', undefined, 92)], 'heartRate')).toBeUndefined();
  });
});
