import { describe, expect, it } from 'vitest';
import { recipientsReadFrom } from '../../src/outputs/alerts/index.js';
import type { ClinicianRecord } from '../../src/store/clinician-store.js';
import type { AlertChange } from '../../src/store/reading-store.js';

const PATIENT = '9434765919';
const account = (id: string, webhookUrl?: string): ClinicianRecord => ({ id, name: id, secretHash: 'x', status: 'active', role: 'clinician', webhookUrl, createdAtMs: 0 }) as ClinicianRecord;
const accounts = [account('dr-a', 'https://ward.example/a'), account('team-ward'), account('dr-oncall')];
const change = (escalationLevel: number | undefined): AlertChange => ({
  alert: { id: 'a-1', key: 'k', patientNhs: PATIENT, deviceId: undefined, ruleId: 'r', severity: 'critical', state: 'acknowledged', message: 'high', value: 190, openedAtMs: 0, updatedAtMs: 1, ...(escalationLevel === undefined ? {} : { escalationLevel }) },
  by: 'dr-a',
  note: undefined,
});
const ids = (rs: readonly { id: string }[]) => rs.map((r) => r.id);

describe('who hears of an alert change, read from the accounts', () => {
  const inThread = {
    cliniciansOf: (nhs: string): ClinicianRecord[] => (nhs === PATIENT ? accounts.slice(0, 2) : []),
    get: (id: string): ClinicianRecord | undefined => accounts.find((a) => a.id === id),
  };
  const onServer = { cliniciansOf: (nhs: string) => Promise.resolve(inThread.cliniciansOf(nhs)), get: (id: string) => Promise.resolve(inThread.get(id)) };
  // The same answers from a store in this thread and from one on a database server.
  for (const [kind, store] of [['answering at once', inThread], ['answering later', onServer]] as const) {
    const recipients = recipientsReadFrom(store, ['team-ward', 'dr-oncall']);

    it(`the patient's clinicians, each once, and only the contacts the alert reached (${kind})`, async () => {
      expect(ids(await recipients(change(undefined)))).toEqual(['dr-a', 'team-ward']);
      // Escalated once: to team-ward, already the patient's; not yet to dr-oncall.
      expect(ids(await recipients(change(1)))).toEqual(['dr-a', 'team-ward']);
      expect(ids(await recipients(change(2)))).toEqual(['dr-a', 'team-ward', 'dr-oncall']);
      expect((await recipients(change(2)))[0]?.webhookUrl).toBe('https://ward.example/a');
    });
  }
});
