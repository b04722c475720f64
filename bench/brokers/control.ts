import type { DeviceCredentials } from '../../src/devices/index.js';
import { serveCommands, type CommandHandlers } from '../ipc.js';

/** What a broker under test prints when it is listening: its port, and the devices it provisioned (if it checks credentials). */
export interface BrokerReady {
  readonly port: number;
  readonly devices?: readonly DeviceCredentials[];
}

/** What `gc` answers: the JS heap in use and the memory of buffers outside it, after the collection. */
export type HeapUsage = Pick<NodeJS.MemoryUsage, 'heapUsed' | 'external'>;

/**
 * Serves a broker under test: prints its ready line, answers `gc` (a full collection, so memory is
 * read after garbage is gone; needs `--expose-gc`) and the broker's own commands.
 */
export function serveBroker(ready: BrokerReady, handlers: CommandHandlers, stop: () => Promise<void>): void {
  const gc = (): HeapUsage => {
    if (globalThis.gc === undefined) throw new Error('start the broker with --expose-gc');
    // Twice: the first pass may only queue finalizers whose objects the second frees.
    globalThis.gc();
    globalThis.gc();
    const { heapUsed, external } = process.memoryUsage();
    return { heapUsed, external };
  };
  serveCommands(ready, { ...handlers, gc }, stop);
}
