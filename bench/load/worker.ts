/**
 * A load-generator process: connects its share of simulated devices and publishes QoS 1 readings
 * on command (see `Publisher`). Runs apart from the orchestrator and the broker so that neither
 * shares its event loop with the load.
 */
import { serveCommands } from '../ipc.js';
import { Publisher, type LoadSetup } from './publisher.js';

const publisher = new Publisher();
serveCommands(
  {},
  {
    connect: (setup) => publisher.connect(setup as LoadSetup),
    start: () => publisher.start(),
    measure: () => publisher.measure(),
    finish: () => publisher.finish(),
  },
  () => publisher.close(),
);
