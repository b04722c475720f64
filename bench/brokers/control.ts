import type { DeviceCredentials } from '../../src/devices/index.js';
import { serveCommands, type CommandHandlers } from '../ipc.js';

/**
 * What a broker under test prints when it is listening: its port, the devices it provisioned (if
 * it checks credentials), and the batching of its InfluxDB output (if that is on).
 */
export interface BrokerReady {
  readonly port: number;
  readonly devices?: readonly DeviceCredentials[];
  readonly influx?: InfluxBatching;
  /** The clinician account looking after the devices' patient (gateway with `--clinician`). */
  readonly clinician?: { readonly id: string; readonly secret: string };
}

/** How the gateway's InfluxDB sender batches: at most `batchSize` points per write, the outbox polled every `flushIntervalMs`. */
export interface InfluxBatching {
  readonly batchSize: number;
  readonly flushIntervalMs: number;
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
