import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/index.js';
import { FhirClient, FhirDelivery, FhirValidator, noAuth, readingObservations } from '../../src/outputs/fhir/index.js';
import { useCleanups } from '../helpers/cleanup.js';
import { shippedProfile } from '../helpers/profiles.js';

const defer = useCleanups();

const rows = (value: number) => {
  const base = { deviceId: 'thermo-1', patientNhs: '9434765919', profileId: 'thermometer', unit: 'Cel', sourceUnit: undefined, deviceTakenAtMs: 1_790_000_000_000, takenAtMs: 1_790_000_000_000, receivedAtMs: 1_790_000_001_000, clockOffsetMs: undefined, messageId: 'm1' };
  return [{ ...base, idempotencyKey: `k${value}`, metric: 'bodyTemperature', value }];
};

describe('FhirDelivery', () => {
  it('never sends an invalid Observation (a bug): it is refused on its own with the failing paths, the valid ones are sent', async () => {
    const bodies: { entry: unknown[] }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const bundle = JSON.parse(Buffer.concat(chunks).toString()) as { entry: unknown[] };
        bodies.push(bundle);
        res.writeHead(200, { 'content-type': 'application/fhir+json' }).end(JSON.stringify({ resourceType: 'Bundle', type: 'transaction-response', entry: bundle.entry.map(() => ({ response: { status: '201' } })) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    defer(() => new Promise((r) => server.close(r)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const validator = new FhirValidator();
    const delivery = new FhirDelivery(new FhirClient({ baseUrl: url, timeoutMs: 2_000, auth: noAuth }), validator, 50, createLogger({ level: 'silent' }));
    const origin = { gatewayId: 'gw', gatewayVersion: '1', deviceId: 'thermo-1', serial: undefined, profile: shippedProfile('thermometer'), payloadSha256: 'ab'.repeat(32) };
    const [good] = readingObservations(origin, rows(36.6));
    const [bad] = readingObservations(origin, rows(36.7));
    const broken = { ...bad!, observation: { ...bad!.observation, status: 'bogus', effectiveDateTime: 'yesterday' } };
    const outcome = await delivery.deliver([{ id: 1, payload: [JSON.stringify(good), JSON.stringify(broken)].join('\n'), items: 2 }]);
    expect(outcome.delivered).toBe(1);
    expect(outcome.refused).toHaveLength(1);
    expect(outcome.refused[0]!.error).toMatch(/^invalid FHIR resource \(not sent\): Observation\/status: .*Observation\/effectiveDateTime: /);
    expect(bodies).toHaveLength(1);
    expect(JSON.stringify(bodies[0])).not.toContain('bogus');
  }, 20_000);
});
