import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { useCleanups } from '../helpers/cleanup.js';
import { tempDir } from '../helpers/gateway.js';
import { provisionThermometer, REPO, spawnGateway, unlimitedProfiles } from '../helpers/process.js';

const defer = useCleanups();

/** In each line V8's trace prints for a scavenge that finds objects of a site it is judging. */
const JUDGED = 'pretenuring:';
const TRACE = '--trace-pretenuring-statistics';

/**
 * Runs, in a Node process traced by V8, objects that live as a message's do while it waits for its
 * commit (each survives scavenges), with the gateway's V8 flags applied first or not.
 */
function survivorsRun(apply: boolean): Promise<string> {
  const runtime = pathToFileURL(join(REPO, 'dist', 'src', 'runtime', 'index.js')).href;
  const script = `
    const { applyV8Flags } = await import(${JSON.stringify(runtime)});
    if (${apply}) applyV8Flags();
    const make = (i) => ({ id: i, values: [i, i * 2], unit: { code: 'mm[Hg]', n: i } });
    const live = new Array(400_000);
    for (let i = 0; i < 2_000_000; i++) live[i % live.length] = make(i);
    console.log('kept', live.length);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TRACE, '--input-type=module', '-e', script]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exited ${code}: ${out.slice(-500)}`))));
  });
}

describe("the gateway's V8 flags", () => {
  it('stop V8 judging allocation sites for allocating straight in the old generation (its pretenuring)', async () => {
    const [judged, untouched] = await Promise.all([survivorsRun(false), survivorsRun(true)]);
    // Without them V8 judges the sites whose objects survive scavenges. Whether it then pretenures
    // them ("=> tenure") changes from run to run, which is the reason for the flag: the test asks
    // only that the judging happens without the flags and never with them.
    expect(judged).toContain(JUDGED);
    expect(untouched).not.toContain(JUDGED);
    expect(untouched).toContain('kept 400000');
  });

  it('are set by `vitals-gateway start` before it takes readings', async () => {
    const tmp = tempDir();
    defer(tmp.remove);
    const profilesDir = unlimitedProfiles(tmp.dir);
    const creds = await provisionThermometer(tmp.dir, profilesDir);
    const gateway = await spawnGateway(['--data-dir', tmp.dir, '--profiles-dir', profilesDir, '--log-level', 'silent'], [TRACE]);
    defer(() => gateway.stop());
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.port}`, { clientId: creds.deviceId, username: creds.deviceId, password: creds.secret, reconnectPeriod: 0 });
    defer(() => client.endAsync());
    // A device's stored backlog, 64 in flight: enough for many scavenges while readings wait for commits.
    const total = 6_000;
    let sent = 0;
    await new Promise<void>((resolve, reject) => {
      let acked = 0;
      const pump = (): void => {
        const i = sent++;
        const body = JSON.stringify({ messageId: `b-${i}`, takenAt: new Date(Date.now() - 1000).toISOString(), values: { bodyTemperature: 36 + (i % 20) / 10 } });
        client.publish(`devices/${creds.deviceId}/readings`, body, { qos: 1 }, (error) => {
          if (error) return reject(error);
          acked += 1;
          if (acked === total) resolve();
          else if (sent < total) pump();
        });
      };
      for (let i = 0; i < 64; i++) pump();
    });
    const afterStart = gateway.stdout().split(/vitals-gateway listening on .*\n/)[1] ?? '';
    expect(afterStart).toContain('metrics and health on');
    expect(afterStart).not.toContain(JUDGED);
  });
});
