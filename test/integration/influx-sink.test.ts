import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '@influxdata/influxdb-client';
import { readingFromRows } from '../../src/domain/index.js';
import { InfluxPointSink, classify, readingPoint, toLine, utf8Body } from '../../src/outputs/influx/index.js';
import { row } from '../contracts/reading-store.contract.js';
import { shippedProfile } from '../helpers/profiles.js';
import { VictoriaMetrics, victoriaMetricsMissing } from '../helpers/victoria-metrics.js';

describe.skipIf(victoriaMetricsMissing)('InfluxPointSink against a real InfluxDB v2 write API (victoria-metrics)', () => {
  let vm: VictoriaMetrics;
  beforeAll(async () => {
    vm = await VictoriaMetrics.start();
  });
  afterAll(async () => {
    await vm?.stop();
  });

  const sinkFor = (url: string) => new InfluxPointSink({ url, token: 'unused', org: 'vitals', bucket: 'vitals', timeoutMs: 2_000, batchSize: 100 });
  const bp = shippedProfile('bp-upper-arm');
  const point = (t: number, systolic: number) =>
    readingPoint(bp, readingFromRows([row({ metric: 'systolic', value: systolic, takenAtMs: t }), row({ metric: 'diastolic', value: 80, takenAtMs: t })]), 'p-key');

  it('writes points with their tags and fields at millisecond precision, and a rewrite changes nothing', async () => {
    const sink = sinkFor(vm.url);
    const t0 = (await vm.clock()).now() - 60_000;
    const points = [point(t0, 121), point(t0 + 1_000, 122), point(t0 + 2_000, 123)];
    await sink.write(points);
    await sink.write(points); // a retry after an ambiguous outcome
    const series = await vm.waitFor('{__name__=~"blood_pressure_.*"}', (s) => s.length === 2 && s.every((x) => x.values.length === 3));
    const systolic = series.find((s) => s.metric['__name__'] === 'blood_pressure_systolic');
    expect(systolic?.metric).toMatchObject({ device: 'd1', profile: 'bp-upper-arm', patient: 'p-key' });
    expect(systolic?.values).toEqual([121, 122, 123]);
    expect(systolic?.timestamps).toEqual([t0, t0 + 1_000, t0 + 2_000]);
    await sink.close();
  });

  it('sends a body of many lines, compressed, with tags beyond ASCII intact', async () => {
    const sink = sinkFor(vm.url);
    const t0 = (await vm.clock()).now() - 120_000;
    const tags = { device: 'tensiomètre-ü1', profile: 'bp-upper-arm', patient: 'p-€' };
    const points = Array.from({ length: 40 }, (_, i) => ({ measurement: 'blood_pressure', tags, fields: { systolic: 100 + i }, timeMs: t0 + i * 1_000 }));
    expect(Buffer.byteLength(points.map(toLine).join('\n'))).toBeGreaterThan(1_000); // above the gzip threshold
    // As the sender gives them: whole lines, and newline-joined groups of lines.
    const lines = points.map(toLine);
    await sink.writeLines([lines.slice(0, 15).join('\n'), ...lines.slice(15)], 40);
    const [series] = await vm.waitFor('blood_pressure_systolic{device="tensiomètre-ü1"}', (s) => s.length === 1 && s[0]?.values.length === 40);
    expect(series?.metric).toMatchObject(tags);
    expect(series?.values).toEqual(points.map((p) => p.fields.systolic));
    expect(series?.timestamps).toEqual(points.map((p) => p.timeMs));
    expect(utf8Body(['a', 'ü€', '', 'b'])).toEqual(Buffer.from('a\nü€\n\nb'));
  });

  it('reports an unreachable server as a transient failure', async () => {
    await vm.pause();
    try {
      const error = await sinkFor(vm.url).write([point(Date.now(), 120)]).then(() => undefined, (e: unknown) => e);
      expect(error).toMatchObject({ name: 'DeliveryError', retry: 'transient' });
    } finally {
      await vm.resume();
    }
  });
});

describe('classify (InfluxDB write errors)', () => {
  const http = (status: number, retryAfter?: string) => new HttpError(status, 'x', '', retryAfter);

  it('never retries a bad request, pauses on 401, 403 and 404, retries 408, 429 and 5xx, honouring Retry-After', () => {
    expect(classify(http(400)).retry).toBe('permanent');
    expect(classify(http(401)).retry).toBe('configuration');
    expect(classify(http(403)).retry).toBe('configuration');
    expect(classify(http(404)).retry).toBe('configuration');
    expect(classify(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })).retry).toBe('configuration');
    expect(classify(http(408)).retry).toBe('transient');
    expect(classify(http(429, '7'))).toMatchObject({ retry: 'transient', retryAfterMs: 7_000 });
    expect(classify(http(503)).retry).toBe('transient');
    expect(classify(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).retry).toBe('transient');
  });
});
