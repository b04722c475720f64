import { describe, expect, it } from 'vitest';
import { mayPublish, maySubscribe, parseDeviceTopic } from '../../src/ingest/mqtt/index.js';

describe('device topics', () => {
  it('parses devices/<id>/<channel> only', () => {
    expect(parseDeviceTopic('devices/bp-1/readings')).toEqual({ deviceId: 'bp-1', channel: 'readings' });
    for (const t of ['devices/bp-1', 'devices//readings', 'devices/bp-1/readings/x', 'other/bp-1/readings']) expect(parseDeviceTopic(t)).toBeUndefined();
  });

  it('lets a device publish only on its own topics, and never on the gateway\'s', () => {
    expect(mayPublish('bp-1', 'devices/bp-1/readings')).toBe(true);
    expect(mayPublish('bp-1', 'devices/bp-1/status')).toBe(true);
    expect(mayPublish('bp-1', 'devices/bp-2/readings')).toBe(false);
    expect(mayPublish('bp-1', 'devices/bp-1/rejected')).toBe(false);
    expect(mayPublish('bp-1', 'devices/+/readings')).toBe(false);
    for (const t of ['devices/bp-1', 'devices/bp-1/', 'devices/bp-10/readings', 'devices/bp-/readings', 'devices/bp-1/readings/x', 'devices/bp-1//', 'Devices/bp-1/readings', 'xdevices/bp-1/readings']) {
      expect(mayPublish('bp-1', t), t).toBe(false);
    }
  });

  it('lets a device subscribe only inside its own prefix', () => {
    expect(maySubscribe('bp-1', 'devices/bp-1/rejected')).toBe(true);
    expect(maySubscribe('bp-1', 'devices/bp-1/#')).toBe(true);
    for (const f of ['#', 'devices/#', 'devices/+/rejected', 'devices/bp-2/rejected', 'devices/bp-1', '$SYS/#']) expect(maySubscribe('bp-1', f)).toBe(false);
  });
});
