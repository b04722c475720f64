import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/index.js';

describe('logger redaction', () => {
  it('never writes secrets, tokens or full NHS numbers', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ level: 'info', destination: sink });
    log.info({ secret: 's3cr3t-value', password: 'pw-value', patient: '9434765919', device: { token: 'tok-value', patientNhs: '9434765919' } }, 'event');
    await new Promise((r) => setImmediate(r));
    const out = lines.join('');
    for (const leaked of ['s3cr3t-value', 'pw-value', 'tok-value', '9434765919']) expect(out).not.toContain(leaked);
    expect(JSON.parse(out)).toMatchObject({ secret: '[redacted]', patient: '******5919', device: { token: '[redacted]', patientNhs: '******5919' } });
  });
});
