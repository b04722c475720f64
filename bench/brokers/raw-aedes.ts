/**
 * Baseline broker: aedes with its default (allow-all) hooks and no pipeline, on a plain `net`
 * server on 127.0.0.1, port 0 — the same socket setup as the gateway's broker. Prints
 * `{"port":…}` when listening.
 */
import { Aedes } from 'aedes';
import { createServer, type AddressInfo } from 'node:net';
import { serveBroker } from './control.js';

const aedes = await Aedes.createBroker();
const server = createServer((conn) => aedes.handle(conn));
server.on('error', (error) => process.stderr.write(`raw aedes server: ${error.message}\n`));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

serveBroker({ port: (server.address() as AddressInfo).port }, {}, async () => {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => aedes.close(() => resolve()));
  await closed;
});
