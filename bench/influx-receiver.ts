/**
 * An InfluxDB write endpoint that stores nothing: each request is read whole and answered 204, the
 * body left unparsed. Written to instead of the server, it leaves out of the InfluxDB comparison
 * what the server itself costs the machine's cores (victoria-metrics: 1.6–2.3 µs a point on the same
 * two cores), so the output's own cost in the gateway shows apart from the server's.
 * Run as a child: prints `{ "url": … }` when listening (see ipc.ts), exits when told.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveCommands } from './ipc.js';

const WRITE_PATH = '/api/v2/write';

const server = createServer((req, res) => {
  const write = req.method === 'POST' && (req.url ?? '').startsWith(WRITE_PATH);
  req.resume();
  req.on('end', () => res.writeHead(write ? 204 : 404).end());
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveCommands({ url: `http://127.0.0.1:${port}` }, {}, async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
