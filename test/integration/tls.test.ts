import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../../src/domain/index.js';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.js';
import { useCleanups } from '../helpers/cleanup.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));
const defer = useCleanups();

describe('TLS', () => {
  it('serves MQTT over TLS when a certificate and key are configured', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const gw: TestGateway = await startGateway(tmp.dir, { 'mqtt.tls.certFile': fixture('cert.pem'), 'mqtt.tls.keyFile': fixture('key.pem') });
    defer(() => gw.stop());
    const creds = await gw.addDevice('thermometer');
    const login = { clientId: creds.deviceId, username: creds.deviceId, password: creds.secret, reconnectPeriod: 0, connectTimeout: 5_000 };

    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${gw.mqttPort}`, { ...login, ca: readFileSync(fixture('cert.pem')) });
    defer(() => client.endAsync());
    await client.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify({ takenAt: new Date().toISOString(), values: { bodyTemperature: 36.9 } }), { qos: 1 });
    expect(gw.store.readings.count()).toBe(1);

    // A plain-TCP client cannot talk to the TLS port: the server drops it without a CONNACK.
    const plain = mqtt.connect(`mqtt://127.0.0.1:${gw.mqttPort}`, login);
    const outcome = await new Promise((resolve) => {
      plain.once('connect', () => resolve('connected'));
      plain.once('close', () => resolve('closed'));
    });
    plain.end(true);
    expect(outcome).toBe('closed');
  });

  it('fails start-up clearly when the TLS files cannot be read', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const failed = await startGateway(tmp.dir, { 'mqtt.tls.certFile': '/nonexistent/cert.pem', 'mqtt.tls.keyFile': '/nonexistent/key.pem' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(GatewayError);
    expect((failed as GatewayError).code).toBe('GW_TLS_FILES_UNREADABLE');
  });
});
