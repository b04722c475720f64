import { GatewayError } from '../domain/index.js';

/**
 * Listens with `listen`, turning a port already taken (or a host not on this machine) into a
 * `GW_HTTP_LISTEN_FAILED` that names the setting to change, instead of a bare `EADDRINUSE`.
 */
export async function listenOn(listen: () => Promise<unknown>, where: { host: string; port: number; setting: string }): Promise<void> {
  try {
    await listen();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EADDRNOTAVAIL' ? 'the host is not an address of this machine' : (error as Error).message;
    throw new GatewayError('GW_HTTP_LISTEN_FAILED', `cannot listen on ${where.host}:${where.port} (${where.setting}): ${why}`, { cause: error });
  }
}
