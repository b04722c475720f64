import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/index.js';
import { ClinicianRegistry } from '../../src/clinicians/index.js';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.js';

/**
 * The gateway as EMQX's HTTP authentication and authorisation source. EMQX sends, for each
 * CONNECT, the configured JSON body (here `{"clientid": "${clientid}", "username": "${username}",
 * "password": "${password}"}`) and, for each publish or subscribe, `{"clientid": …, "username": …,
 * "topic": "${topic}", "action": "${action}"}`, and reads `result` (allow, deny or ignore) from a
 * 200 JSON answer [EMQX docs: access-control/authn/http, access-control/authz/http].
 */
describe('EMQX HTTP authentication and authorisation, from the registry', () => {
  const tmp = tempDir();
  let gw: TestGateway;
  let device: { deviceId: string; secret: string };
  let other: { deviceId: string; secret: string };
  let clinicianSecret: string;

  beforeAll(async () => {
    gw = await startGateway(tmp.dir, { 'http.brokerAuth': true });
    device = await gw.addDevice('bp-upper-arm', { id: 'cuff-1' });
    other = await gw.addDevice('bp-upper-arm', { id: 'cuff-2' });
    const accounts = new ClinicianRegistry(gw.store.clinicians, systemClock);
    clinicianSecret = (await accounts.add('dr-a', 'Dr A')).secret;
    await accounts.add('dr-b', 'Dr B');
    await accounts.revoke('dr-b');
  });
  afterAll(async () => {
    await gw.stop();
    tmp.remove();
  });

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/broker/emqx/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    return (await res.json()) as { result: string; is_superuser?: boolean };
  };
  const authn = (clientid: string, username: string, password: string) => post('authn', { clientid, username, password });
  const authz = (username: string, action: string, topic: string, clientid = username) => post('authz', { clientid, username, topic, action });

  it('lets a device connect with its own secret as itself, and no other way', async () => {
    expect(await authn('cuff-1', 'cuff-1', device.secret)).toEqual({ result: 'allow', is_superuser: false });
    expect((await authn('cuff-1', 'cuff-1', other.secret)).result).toBe('deny');
    expect((await authn('cuff-2', 'cuff-1', device.secret)).result).toBe('deny'); // another device's client id: its session
    expect((await authn('clinician:dr-a', 'clinician:dr-a', clinicianSecret)).result).toBe('allow');
    expect((await authn('clinician:dr-a', 'clinician:dr-a', 'wrong')).result).toBe('deny');
    // Names the gateway does not know are left to the broker's next source (its own accounts).
    expect((await authn('vitals-gateway-1', 'vitals-gateway-1', 'x')).result).toBe('ignore');
  });

  it('lets a device publish and subscribe on its own topics only, and a clinician read only their alerts', async () => {
    expect((await authz('cuff-1', 'publish', 'devices/cuff-1/readings')).result).toBe('allow');
    expect((await authz('cuff-1', 'publish', 'devices/cuff-1/corrections')).result).toBe('allow');
    expect((await authz('cuff-1', 'publish', 'devices/cuff-2/readings')).result).toBe('deny');
    expect((await authz('cuff-1', 'publish', 'devices/cuff-1/rejected')).result).toBe('deny'); // the gateway's channel
    expect((await authz('cuff-1', 'subscribe', 'devices/cuff-1/rejected')).result).toBe('allow');
    expect((await authz('cuff-1', 'subscribe', 'devices/+/readings')).result).toBe('deny');
    expect((await authz('cuff-1', 'subscribe', '#')).result).toBe('deny');
    expect((await authz('cuff-1', 'publish', 'devices/cuff-1/readings', 'cuff-2')).result).toBe('deny');
    expect((await authz('clinician:dr-a', 'subscribe', 'clinicians/dr-a/alerts')).result).toBe('allow');
    expect((await authz('clinician:dr-a', 'subscribe', 'clinicians/dr-b/alerts')).result).toBe('deny');
    expect((await authz('clinician:dr-a', 'publish', 'clinicians/dr-a/alerts')).result).toBe('deny');
    expect((await authz('clinician:dr-b', 'subscribe', 'clinicians/dr-b/alerts')).result).toBe('deny'); // revoked
    expect((await authz('vitals-gateway-1', 'subscribe', '$share/vitals-gateway/devices/+/readings')).result).toBe('ignore');
  });

  it('denies a revoked device at once, and a request not in the documented shape', async () => {
    gw.store.devices.revoke('cuff-2', Date.now());
    expect((await authn('cuff-2', 'cuff-2', other.secret)).result).toBe('deny');
    expect((await authz('cuff-2', 'publish', 'devices/cuff-2/readings')).result).toBe('deny');
    expect((await post('authz', { username: 'cuff-1', topic: 'devices/cuff-1/readings', action: 'publish' })).result).toBe('deny');
    expect((await post('authz', { clientid: 'cuff-1', username: 'cuff-1', topic: 'devices/cuff-1/readings', action: 'all' })).result).toBe('deny');
    expect((await post('authn', { clientid: 'cuff-1', username: 'cuff-1' })).result).toBe('deny');
  });
});
