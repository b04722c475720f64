import { err, GatewayError, ok, parseNhsNumber, type Result } from '../domain/index.js';
import type { DeviceCredentials } from '../devices/index.js';
import type { StoredAuditEntry } from '../store/care-views.js';
import type { AccountRole } from '../store/clinician-store.js';
import { PatientRows, type DeviceStatus } from './patient-rows.js';
import { CareError, type CareDeps, type CareService, type Caller } from './service.js';

/** An account as admins see it (never its secret). */
export interface AccountView {
  readonly id: string;
  readonly name: string;
  readonly role: AccountRole;
  readonly status: 'active' | 'revoked';
  readonly patients: readonly string[];
}

/**
 * What operators and admins do: devices (add, revoke, list with no clinical values), outputs
 * (requeue), accounts and their patients, the audit trail. Each action is audited like the
 * clinical ones; a clinician is refused (and the refusal audited where it names an action).
 */
export class Administration {
  private readonly read: PatientRows;

  constructor(
    private readonly d: CareDeps,
    private readonly care: Pick<CareService, 'audit'>,
  ) {
    this.read = new PatientRows(d);
  }

  private audit(...args: Parameters<CareService['audit']>): Promise<unknown> {
    return this.care.audit(...args);
  }

  /** Operators and admins: a new device for a patient; its secret is in the answer, once. */
  async addDevice(caller: Caller, req: { profileId: string; patient: string; deviceId?: string | undefined }): Promise<Result<DeviceCredentials, CareError>> {
    if (caller.role === 'clinician') return err(CareError.Forbidden);
    try {
      const creds = await this.d.devices.add({ profileId: req.profileId, patient: req.patient, deviceId: req.deviceId });
      await this.audit(caller, 'device.add', (await this.d.store.devices.get(creds.deviceId))?.patientNhs, creds.deviceId);
      return ok(creds);
    } catch (e) {
      if (e instanceof GatewayError) return err(e.code === 'GW_DEVICE_EXISTS' ? CareError.Conflict : CareError.Invalid);
      throw e;
    }
  }

  /** Operators and admins: a device can no longer connect (a connected one is disconnected within seconds). */
  async revokeDevice(caller: Caller, deviceId: string): Promise<Result<void, CareError>> {
    if (caller.role === 'clinician') return err(CareError.Forbidden);
    const device = (await this.d.store.devices.get(deviceId));
    if (device === undefined) return err(CareError.NotFound);
    await this.d.devices.revoke(deviceId);
    await this.audit(caller, 'device.revoke', device.patientNhs, deviceId);
    return ok(undefined);
  }

  /** Admins: every account, its role and (for clinicians) its patients. */
  async accounts(caller: Caller): Promise<Result<AccountView[], CareError>> {
    if (caller.role !== 'admin') return this.refuse(caller, 'accounts.list');
    await this.audit(caller, 'accounts.list');
    return ok((await this.d.accounts.list()).map((a) => ({ id: a.id, name: a.name, role: a.role, status: a.status, patients: a.patients })));
  }

  /** Admins: a new account; its password is in the answer, once. */
  async addAccount(caller: Caller, req: { id: string; name: string; role: AccountRole }): Promise<Result<{ id: string; role: AccountRole; secret: string }, CareError>> {
    if (caller.role !== 'admin') return this.refuse(caller, 'account.add');
    try {
      const added = await this.d.accounts.add(req.id, req.name, undefined, req.role);
      await this.audit(caller, 'account.add', undefined, req.id);
      return ok({ id: added.clinicianId, role: added.role, secret: added.secret });
    } catch (e) {
      if (e instanceof GatewayError) return err(e.code === 'GW_CLINICIAN_EXISTS' ? CareError.Conflict : CareError.Invalid);
      throw e;
    }
  }

  /** Admins: a clinician looks after a patient (sees them, receives their alerts), or no longer. */
  async assignment(caller: Caller, accountId: string, nhs: string, assigned: boolean): Promise<Result<void, CareError>> {
    if (caller.role !== 'admin') return this.refuse(caller, assigned ? 'account.assign' : 'account.unassign');
    const account = (await this.d.store.clinicians.get(accountId));
    const patient = parseNhsNumber(nhs);
    if (account === undefined) return err(CareError.NotFound);
    if (account.role !== 'clinician' || !patient.ok) return err(CareError.Invalid);
    if (assigned) (await this.d.store.clinicians.assign(accountId, patient.value, this.d.clock.now()));
    else (await this.d.store.clinicians.unassign(accountId, patient.value));
    await this.audit(caller, assigned ? 'account.assign' : 'account.unassign', patient.value, accountId);
    return ok(undefined);
  }

  /** Admins: an account can no longer sign in, to the app or the broker. */
  async revokeAccount(caller: Caller, accountId: string): Promise<Result<void, CareError>> {
    if (caller.role !== 'admin') return this.refuse(caller, 'account.revoke');
    if (accountId === caller.accountId) return err(CareError.Invalid); // an admin cannot lock themselves out
    if ((await this.d.store.clinicians.get(accountId)) === undefined) return err(CareError.NotFound);
    (await this.d.store.clinicians.revoke(accountId, this.d.clock.now()));
    await this.audit(caller, 'account.revoke', undefined, accountId);
    return ok(undefined);
  }

  private async refuse<T>(caller: Caller, action: string): Promise<Result<T, CareError>> {
    await this.audit(caller, action, undefined, undefined, 'refused');
    return err(CareError.Forbidden);
  }

  /** Operators: dead output entries back to pending after a fix. */
  async requeue(caller: Caller, sink: string): Promise<Result<number, CareError>> {
    if (caller.role === 'clinician') return err(CareError.Forbidden);
    const n = (await this.d.store.outbox.requeue({ sinks: [sink] }));
    await this.audit(caller, 'outputs.requeue', undefined, sink);
    return ok(n);
  }

  /** Operators and admins: every device and its state, with no clinical values. */
  async allDevices(caller: Caller): Promise<Result<(DeviceStatus & { patient: string })[], CareError>> {
    if (caller.role === 'clinician') return err(CareError.Forbidden);
    const now = this.d.clock.now();
    const patients = [...new Set((await this.d.store.devices.list()).map((d) => d.patientNhs))];
    const all = (await this.read.devices(patients, now)).map(({ patientNhs, ...d }) => ({ ...d, patient: maskedNhs(patientNhs) }));
    await this.audit(caller, 'devices.list');
    return ok(all);
  }

  /** Admins: the audit trail, newest first, by patient or user. */
  async auditTrail(caller: Caller, filter: { patientNhs?: string | undefined; actor?: string | undefined; beforeId?: number | undefined; limit?: number | undefined }): Promise<Result<StoredAuditEntry[], CareError>> {
    if (caller.role !== 'admin') {
      await this.audit(caller, 'audit.view', filter.patientNhs, undefined, 'refused');
      return err(CareError.Forbidden);
    }
    const entries = (await this.d.store.audit.list(filter));
    await this.audit(caller, 'audit.view', filter.patientNhs, filter.actor);
    return ok(entries);
  }
}

/** Operators see devices, not whose: the NHS number masked to its last 4 digits. */
function maskedNhs(nhs: string): string {
  return `*** *** ${nhs.slice(-4)}`;
}
