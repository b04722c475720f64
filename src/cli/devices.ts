import { DeviceRegistry } from '../devices/index.js';
import { maskNhsNumber, systemClock } from '../domain/index.js';
import { loadProfiles } from '../profiles/index.js';
import type { EitherPort } from '../store/async-port.js';
import type { DeviceRecord, DeviceStore } from '../store/device-store.js';
import { withAnyStore, type GlobalOptions } from './context.js';
import { isoTime, stdout } from './output.js';

/** Runs `fn` with a device registry on the configured store (SQLite or PostgreSQL), closing the store after. */
function withRegistry<T>(global: GlobalOptions, fn: (registry: DeviceRegistry, devices: EitherPort<DeviceStore>) => Promise<T>): Promise<T> {
  return withAnyStore(global, async (store, config) => fn(new DeviceRegistry(store.devices, loadProfiles(config.profilesDir), systemClock, store.brokerCredentials), store.devices));
}

const view = (d: DeviceRecord) => ({
  deviceId: d.id,
  profile: d.profileId,
  patient: d.patientNhs,
  serial: d.serial,
  bleAddress: d.bleAddress,
  status: d.status,
  createdAt: isoTime(d.createdAtMs),
  revokedAt: isoTime(d.revokedAtMs),
  secretRotatedAt: isoTime(d.secretRotatedAtMs),
});

export interface AddOptions {
  readonly profile: string;
  readonly patient: string;
  readonly id?: string | undefined;
  readonly serial?: string | undefined;
  readonly bleAddress?: string | undefined;
  readonly json?: boolean | undefined;
}

export async function devicesAdd(global: GlobalOptions, o: AddOptions): Promise<void> {
  const creds = await withRegistry(global, (r) => r.add({ profileId: o.profile, patient: o.patient, deviceId: o.id, serial: o.serial, bleAddress: o.bleAddress }));
  if (o.json) return stdout.json(creds);
  stdout.line(`device ${creds.deviceId} registered (profile ${o.profile})`);
  stdout.line(`MQTT username: ${creds.deviceId}`);
  stdout.line(`MQTT password: ${creds.secret}`);
  stdout.line('The secret is shown only now; it is stored only as a hash.');
}

export async function devicesList(global: GlobalOptions, o: { patient?: string | undefined; json?: boolean | undefined }): Promise<void> {
  const devices = await withRegistry(global, async (r, store) =>
    Promise.all((await r.list(o.patient)).map(async (d) => ({ ...view(d), lastSeenAt: isoTime((await store.health(d.id))?.lastSeenAtMs) }))),
  );
  if (o.json) return stdout.json(devices);
  stdout.table(
    devices.map((d) => ({ device: d.deviceId, profile: d.profile, patient: maskNhsNumber(d.patient), status: d.status, lastSeen: d.lastSeenAt ?? 'never' })),
    'no devices',
  );
}

export async function devicesShow(global: GlobalOptions, id: string, o: { json?: boolean | undefined }): Promise<void> {
  const shown = await withRegistry(global, async (r, store) => {
    const health = await store.health(id);
    return {
      ...view(await r.get(id)),
      health: health && {
        lastSeenAt: isoTime(health.lastSeenAtMs),
        lastReadingAt: isoTime(health.lastReadingAtMs),
        batteryPct: health.batteryPct,
        signalDbm: health.signalDbm,
        firmware: health.firmware,
        clockOffsetMs: health.clockOffsetMs,
        clockDrift: health.clockDrift,
      },
    };
  });
  if (o.json) return stdout.json(shown);
  const { health, ...device } = shown;
  for (const [k, v] of Object.entries({ ...device, ...health })) if (v !== undefined) stdout.line(`${k.padEnd(16)} ${String(v)}`);
}

export async function devicesRevoke(global: GlobalOptions, id: string, o: { json?: boolean | undefined }): Promise<void> {
  const device = await withRegistry(global, async (r) => view(await r.revoke(id)));
  if (o.json) return stdout.json(device);
  stdout.line(`device ${id} revoked; it can no longer connect`);
}

export async function devicesRotateSecret(global: GlobalOptions, id: string, o: { json?: boolean | undefined }): Promise<void> {
  const creds = await withRegistry(global, (r) => r.rotateSecret(id));
  if (o.json) return stdout.json(creds);
  stdout.line(`new MQTT password for ${id}: ${creds.secret}`);
  stdout.line('The old secret stops working at the next connection.');
}
