import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An alert change as a receiver took it: its event id, its state, and whether its signature held. */
export interface ReceivedWebhook {
  readonly eventId: string;
  readonly state: string;
  readonly valid: boolean;
}

/**
 * A clinician's webhook receiver on 127.0.0.1, port 0, checking each POST as a receiver should: the
 * `X-VG-Signature` HMAC under `secret()`, its time within five minutes of now. While `up()` is false
 * it answers 503 and records nothing. Closed by `defer`.
 */
export async function webhookReceiver(defer: (cleanup: () => unknown) => void, secret: () => string, up: () => boolean = () => true): Promise<{ url: string; received: ReceivedWebhook[] }> {
  const received: ReceivedWebhook[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (!up()) return void res.writeHead(503).end();
      const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['x-vg-signature']));
      const expected = sig === null ? '' : createHmac('sha256', secret()).update(`${sig[1]}.${body}`).digest('hex');
      const fresh = sig !== null && Math.abs(Date.now() / 1000 - Number(sig[1])) < 300;
      const message = JSON.parse(body) as { state: string };
      received.push({ eventId: String(req.headers['x-vg-event-id']), state: message.state, valid: sig !== null && fresh && timingSafeEqual(Buffer.from(expected), Buffer.from(sig[2] ?? '')) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  defer(() => new Promise((r) => receiver.close(r)));
  return { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/alerts`, received };
}
