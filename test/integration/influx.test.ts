import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startGateway, tempDir, TEST_NHS, type TestGateway } from '../helpers/gateway.js';
import { connectDevice } from '../helpers/mqtt.js';
import { runCli, unlimitedProfiles } from '../helpers/process.js';
import { VictoriaMetrics, victoriaMetricsMissing, type ExportedSeries } from '../helpers/victoria-metrics.js';
import type { DeviceCredentials } from '../../src/devices/index.js';
import { ManualClock, type Clock } from '../../src/domain/index.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { until } from '../helpers/until.js';

let profilesDir: string;
// Requests of at most 4 points: rows are grouped into requests, and a larger row (a backfill) split.
const influxSettings = (url: string) => ({ profilesDir, 'influx.url': url, 'influx.batchSize': 4, 'influx.flushIntervalMs': 50, 'influx.retryBaseMs': 50, 'influx.retryMaxMs': 200 });
const values = (series: ExportedSeries[], name: string) => series.find((s) => s.metric['__name__'] === name)?.values ?? [];

describe.skipIf(victoriaMetricsMissing)('readings reach InfluxDB (victoria-metrics) through the durable outbox', () => {
  let vm: VictoriaMetrics;
  /** The server's clock: the gateways here run on it, so their points fall within its retention. */
  let clock: Clock;
  const shared = tempDir();
  beforeAll(async () => {
    profilesDir = unlimitedProfiles(shared.dir); // a bp cuff may publish 6 readings a minute
    vm = await VictoriaMetrics.start();
    clock = await vm.clock();
  });
  afterAll(async () => {
    await vm?.stop();
    shared.remove();
  });

  const publish = async (client: MqttClient, creds: DeviceCredentials, i: number, takenAtMs: number) =>
    client.publishAsync(
      `devices/${creds.deviceId}/readings`,
      JSON.stringify({ messageId: `m${i}`, takenAt: new Date(takenAtMs).toISOString(), values: { systolic: 120 + i, diastolic: 80, pulse: 60 } }),
      { qos: 1 },
    );

  it('turns each stored reading into one point with pseudonymous tags; a duplicate publish sends nothing again', async () => {
    const tmp = tempDir();
    const gw = await startGateway(tmp.dir, influxSettings(vm.url), clock);
    try {
      const creds = await gw.addDevice('bp-upper-arm', { id: 'cuff-influx-1' });
      const client = await connectDevice(gw.url, creds);
      const t0 = clock.now() - 120_000;
      for (const i of [0, 1, 2, 2]) await publish(client, creds, i, t0 + i * 1000);
      await client.endAsync();
      const series = await vm.waitFor('{device="cuff-influx-1"}', (s) => values(s, 'blood_pressure_systolic').length === 3);
      expect(values(series, 'blood_pressure_systolic')).toEqual([120, 121, 122]);
      expect(values(series, 'blood_pressure_pulse')).toEqual([60, 60, 60]);
      const tags = series[0]?.metric ?? {};
      expect(tags).toMatchObject({ device: 'cuff-influx-1', profile: 'bp-upper-arm', patient: expect.stringMatching(/^[\w-]{22}$/) });
      expect(JSON.stringify(series)).not.toContain(TEST_NHS);
      expect(await gw.metrics.render()).toMatch(/vg_outbox_delivered_total\{sink="influx"\} 3/);
      expect(gw.store.outbox.stats('influx')).toEqual({ pending: 0, dead: 0, oldestPendingAtMs: undefined });
    } finally {
      await gw.stop();
      tmp.remove();
    }
  });

  it('loses and doubles nothing through an outage spanning a gateway restart', async () => {
    const tmp = tempDir();
    let gw: TestGateway | undefined = await startGateway(tmp.dir, influxSettings(vm.url), clock);
    try {
      const creds = await gw.addDevice('bp-upper-arm', { id: 'cuff-influx-2' });
      await vm.pause();
      const t0 = clock.now() - 300_000;
      let client = await connectDevice(gw.url, creds);
      for (let i = 0; i < 10; i++) await publish(client, creds, i, t0 + i * 1000);
      await client.endAsync();
      expect(gw.store.outbox.stats('influx').pending).toBe(10);
      const failing = /vg_outbox_failures_total\{sink="influx",retry="transient"\} [1-9]/;
      const { metrics } = gw;
      await until(() => metrics.render(), (m) => failing.test(m), 'a transient InfluxDB failure counted', 10_000);
      expect(await gw.metrics.render()).toMatch(failing);
      await gw.stop();

      gw = await startGateway(tmp.dir, influxSettings(vm.url), clock);
      client = await connectDevice(gw.url, creds);
      for (let i = 10; i < 20; i++) await publish(client, creds, i, t0 + i * 1000);
      for (let i = 5; i < 15; i++) await publish(client, creds, i, t0 + i * 1000); // redeliveries
      await client.endAsync();
      await vm.resume();

      const series = await vm.waitFor('{device="cuff-influx-2"}', (s) => values(s, 'blood_pressure_systolic').length >= 20);
      expect(values(series, 'blood_pressure_systolic')).toEqual(Array.from({ length: 20 }, (_, i) => 120 + i));
      const { outbox } = gw.store;
      await until(async () => outbox.stats('influx').pending, (n) => n === 0, 'the outbox sent', 10_000);
      expect(gw.store.outbox.stats('influx').pending).toBe(0);
    } finally {
      await vm.resume();
      await gw?.stop();
      tmp.remove();
    }
  });

  it('backfills stored readings into a newly configured InfluxDB', async () => {
    const tmp = tempDir();
    let gw = await startGateway(tmp.dir, { profilesDir }, clock); // no InfluxDB yet
    try {
      const creds = await gw.addDevice('bp-upper-arm', { id: 'cuff-influx-3' });
      const client = await connectDevice(gw.url, creds);
      const t0 = clock.now() - 600_000;
      for (let i = 0; i < 5; i++) await publish(client, creds, i, t0 + i * 1000);
      await client.endAsync();
      expect(gw.store.outbox.stats('influx').pending).toBe(0);
      await gw.stop();

      const cli = await runCli(['influx', 'backfill', '--since', new Date(t0 - 1000).toISOString(), '--json', '--data-dir', tmp.dir]);
      expect(JSON.parse(cli.stdout)).toMatchObject({ queued: 5, skippedUnknownProfile: 0 });

      gw = await startGateway(tmp.dir, influxSettings(vm.url), clock);
      const series = await vm.waitFor('{device="cuff-influx-3"}', (s) => values(s, 'blood_pressure_systolic').length === 5);
      expect(values(series, 'blood_pressure_systolic')).toEqual([120, 121, 122, 123, 124]);
    } finally {
      await gw.stop();
      tmp.remove();
    }
  });
});

describe.skipIf(victoriaMetricsMissing)('InfluxDB answering 401, 403 and 404: the output pauses and loses nothing', () => {
  it('keeps every point pending for 10 minutes of wrong credentials and endpoints (injected clock), shows the output paused, then sends each once', async () => {
    const vm = await VictoriaMetrics.start();
    const shared = tempDir();
    const serverClock = await vm.clock();
    // The server's clock, held by hand: ten minutes pass in a moment.
    const clock = new ManualClock(serverClock.now());
    const proxy = await FaultProxy.start(vm.url);
    const gw = await startGateway(shared.dir, { profilesDir: unlimitedProfiles(shared.dir), 'influx.url': proxy.url, 'influx.batchSize': 4, 'influx.flushIntervalMs': 20, 'influx.retryBaseMs': 50, 'influx.retryMaxMs': 200 }, clock);
    try {
      const creds = await gw.addDevice('bp-upper-arm', { id: 'cuff-influx-paused' });
      const client = await connectDevice(gw.url, creds);
      const t0 = clock.now() - 600_000;
      let i = 0;
      for (const status of [401, 403, 404]) {
        proxy.answering(status);
        for (let k = 0; k < 4; k++, i++) {
          await client.publishAsync(`devices/${creds.deviceId}/readings`, JSON.stringify({ messageId: `p${i}`, takenAt: new Date(t0 + i * 1000).toISOString(), values: { systolic: 120 + i, diastolic: 80, pulse: 60 } }), { qos: 1 });
        }
        // A little over three minutes of this answer (ten in all), the clock moved a minute at a time.
        for (let minute = 0; minute < 4 && !proxy.answered.includes(status); minute++) {
          clock.advance(60_000);
          await until(async () => proxy.answered.includes(status), (seen) => seen, `a write answered ${status}`, 2_000).catch(() => undefined);
        }
        expect(proxy.answered).toContain(status);
        expect(gw.store.outbox.stats('influx')).toMatchObject({ dead: 0 });
        const health = (await (await fetch(`http://127.0.0.1:${gw.httpPort as number}/healthz`)).json()) as Record<string, unknown>;
        expect(health).toMatchObject({ status: 'degraded', outputs: { influx: { state: 'paused', reason: expect.stringContaining(`answered ${status}`) } } });
      }
      await client.endAsync();
      expect(gw.store.outbox.stats('influx')).toMatchObject({ pending: 12, dead: 0 });
      expect(await gw.metrics.render()).toMatch(/vg_outbox_paused\{sink="influx"\} 1\n/);
      expect(await gw.metrics.render()).toMatch(/vg_outbox_failures_total\{sink="influx",retry="configuration"\} [1-9]/);

      // Fixed: the next try goes through, and every point arrives once.
      proxy.answering(undefined);
      // The paused output retries on its long back-off: move the clock a minute at a time until it has.
      for (let minute = 0; minute < 10 && gw.store.outbox.stats('influx').pending > 0; minute++) {
        clock.advance(60_000);
        await until(async () => gw.store.outbox.stats('influx').pending, (n) => n === 0, 'the outbox sent', 2_000).catch(() => undefined);
      }
      const series = await vm.waitFor('{device="cuff-influx-paused"}', (s) => values(s, 'blood_pressure_systolic').length >= 12);
      expect(values(series, 'blood_pressure_systolic')).toEqual(Array.from({ length: 12 }, (_, k) => 120 + k));
      await until(async () => gw.store.outbox.stats('influx').pending, (n) => n === 0, 'an empty outbox');
      expect(await gw.metrics.render()).toMatch(/vg_outbox_paused\{sink="influx"\} 0\n/);
    } finally {
      await gw.stop();
      await proxy.close();
      await vm.stop();
      shared.remove();
    }
  }, 60_000);
});
