import { createHash } from 'node:crypto';
import type { Bundle } from '@medplum/fhirtypes';
import { RetryClass, rowsOf, type Clock } from '../../domain/index.js';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../observability/index.js';
import type { OutputPlanner } from '../../pipeline/index.js';
import type { OutboxResult } from '../../store/reading-store.js';
import { DeliveryError, OutboxSender, type OutboxRow, type OutboxSource, type SenderMetrics } from '../outbox/index.js';
import { learnIds, transaction, type KnownIds, type PlannedResource } from './bundle.js';
import { bearerAuth, ClientCredentialsAuth, noAuth } from './auth.js';
import { FhirClient } from './client.js';
import { correctedObservations, readingObservations } from './observation.js';
import { FhirValidator } from './validate.js';

export const FHIR_SINK = 'fhir';

/** Outbox rows read per send cycle. */
const OUTBOX_ROWS_PER_SEND = 16;

/**
 * Plans the Observations of each stored reading whose profile forwards any (`fhir.forward`), as
 * outbox entries written with the reading.
 */
export function fhirPlanner(gateway: { id: string; version: string }): OutputPlanner {
  return (device, reading, payload, correction) => {
    if (device.profile.fhir === undefined) return [];
    const rows = rowsOf(reading);
    // A reading's own message; a correction's is the correction message.
    const payloadSha256 = (correction === undefined ? reading.payloadSha256 : undefined) ?? createHash('sha256').update(payload).digest('hex');
    const origin = { gatewayId: gateway.id, gatewayVersion: gateway.version, deviceId: device.deviceId, serial: device.serial, profile: device.profile, payloadSha256 };
    if (correction === undefined) return readingObservations(origin, rows).map((p) => ({ sink: FHIR_SINK, payload: JSON.stringify(p) }));
    return correctedObservations(origin, rows, correction.original, correction.status).map((p) => ({ sink: FHIR_SINK, payload: JSON.stringify(p) }));
  };
}

type Refused = { payload: string; error: string };

/**
 * Delivers planned Observations in transactions of at most `batchSize` entries. Every resource is
 * validated first: an invalid one is a bug — logged with its failing paths and kept as dead, never
 * sent. A transaction the server refuses as a whole (4xx) is retried one Observation at a time, so
 * only the Observations the server refuses are kept as dead, with its OperationOutcome.
 */
export class FhirDelivery {
  private readonly known: KnownIds = { patients: new Map(), devices: new Map() };
  /** Problems of the Patients and Devices already checked, by content (bounded: cleared when large). */
  private readonly checked = new Map<string, string[]>();

  constructor(
    private readonly client: FhirClient,
    private readonly validator: FhirValidator,
    private readonly batchSize: number,
    private readonly log: Logger,
  ) {}

  readonly deliver = async (rows: readonly OutboxRow[]): Promise<{ delivered: number; refused: Refused[] }> => {
    if (this.checked.size > 10_000) this.checked.clear();
    const refused: Refused[] = [];
    const valid: { planned: PlannedResource; line: string }[] = [];
    for (const row of rows) {
      for (const line of row.payload.split('\n')) {
        const planned = JSON.parse(line) as PlannedResource;
        const problem = this.invalid(planned);
        if (problem === undefined) valid.push({ planned, line });
        else refused.push({ payload: line, error: problem });
      }
    }
    let delivered = 0;
    for (const group of this.groups(valid)) {
      try {
        await this.send(group.map((g) => g.planned));
        delivered += group.length;
      } catch (error) {
        if (!(error instanceof DeliveryError) || error.retry !== RetryClass.Permanent) throw error;
        // Find the Observations the server refuses: each alone; the others go through.
        for (const one of group) {
          try {
            await this.send([one.planned]);
            delivered += 1;
          } catch (e) {
            if (!(e instanceof DeliveryError) || e.retry !== RetryClass.Permanent) throw e;
            refused.push({ payload: one.line, error: e.message });
          }
        }
      }
    }
    return { delivered, refused };
  };

  private async send(items: readonly PlannedResource[]): Promise<void> {
    const tx = transaction(items, this.known);
    const response: Bundle = await this.client.transaction(tx.bundle);
    learnIds(tx, response, this.known);
  }

  /** Why the resources of this Observation's transaction are invalid, or undefined. */
  private invalid(planned: PlannedResource): string | undefined {
    const { bundle } = transaction([planned], { patients: new Map(), devices: new Map() });
    const problems = (bundle.entry ?? []).flatMap((e) => {
      const resource = e.resource;
      if (resource === undefined) return [];
      // Many Observations share a Patient and a Device: each distinct one is checked once.
      const shared = resource.resourceType === 'Patient' || resource.resourceType === 'Device' ? JSON.stringify(resource) : undefined;
      let found = shared === undefined ? undefined : this.checked.get(shared);
      if (found === undefined) {
        found = this.validator.validate(resource).map((p) => `${resource.resourceType}${p.path}: ${p.message}`);
        if (shared !== undefined) this.checked.set(shared, found);
      }
      return found;
    });
    if (problems.length === 0) return undefined;
    this.log.error({ resource: planned.id, problems }, 'BUG: a resource built by the gateway is not valid FHIR R4: not sent, kept as dead');
    return `invalid FHIR resource (not sent): ${problems.join('; ')}`;
  }

  /** Consecutive groups whose transactions stay within `batchSize` entries. */
  private groups<T extends { planned: PlannedResource }>(items: readonly T[]): T[][] {
    const groups: T[][] = [];
    let current: T[] = [];
    let entries = 0;
    let patients = new Set<string>();
    let devices = new Set<string>();
    let ids = new Set<string>();
    for (const item of items) {
      const { nhs, id } = item.planned;
      const device = 'device' in item.planned ? item.planned.device : undefined;
      const deviceKey = device?.identifier?.[0]?.value ?? '';
      // A known Device is sent again when its content changed (bundle.ts): count it then.
      const deviceKnown = device === undefined || this.known.devices.get(deviceKey)?.content === JSON.stringify(device);
      const cost = (): number => 1 + (this.known.patients.has(nhs) || patients.has(nhs) ? 0 : 1) + (deviceKnown || devices.has(deviceKey) ? 0 : 1);
      // [FHIR R4 http.html#trules] one transaction may not touch a resource twice: a correction
      // of an Observation created in the same batch goes in the next transaction.
      if (current.length > 0 && (entries + cost() > this.batchSize || ids.has(id))) {
        groups.push(current);
        current = [];
        entries = 0;
        patients = new Set();
        devices = new Set();
        ids = new Set();
      }
      entries += cost();
      current.push(item);
      ids.add(id);
      patients.add(nhs);
      devices.add(deviceKey);
    }
    if (current.length > 0) groups.push(current);
    return groups;
  }
}

/**
 * The sender that ships the FHIR outbox to `fhir.url`, its credentials (OAuth client credentials, a fixed token,
 * or none) and its validator compiled now (about a second) rather than on the first send. `outbox`
 * is where it reads its entries: the store's outbox, or the entries this worker claims of a shared one.
 * `close()` ends its connections to the server (after the sender stopped).
 */
export function fhirOutputSender(
  fhir: Config['fhir'] & { url: string },
  outbox: OutboxSource,
  record: (results: readonly OutboxResult[]) => Promise<unknown>,
  clock: Clock,
  metrics: SenderMetrics,
  log: Logger,
): { sender: OutboxSender; close(): void } {
  const auth = fhir.oauth !== undefined ? new ClientCredentialsAuth({ ...fhir.oauth, timeoutMs: fhir.timeoutMs }) : fhir.token !== undefined ? bearerAuth(fhir.token) : noAuth;
  const validator = new FhirValidator();
  validator.warm();
  const client = new FhirClient({ baseUrl: fhir.url, timeoutMs: fhir.timeoutMs, auth });
  const delivery = new FhirDelivery(client, validator, fhir.batchSize, log);
  const options = { sink: FHIR_SINK, batchSize: OUTBOX_ROWS_PER_SEND, pollIntervalMs: fhir.flushIntervalMs, backoff: { baseMs: fhir.retryBaseMs, maxMs: fhir.retryMaxMs } };
  return { sender: new OutboxSender(options, outbox, delivery.deliver, record, clock, Math.random, metrics, log), close: () => client.close() };
}
