// Runs a TypeScript worker thread from source (tests, `npm run cli`): a worker thread does not
// inherit the main thread's TypeScript loader, so it registers tsx itself. Built code starts the
// worker's .js file directly and never loads this file.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
