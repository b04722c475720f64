/**
 * Entry of the worker thread that makes a research extract, inside a bounded heap (see
 * `extractInWorker`): `{ progress }` messages as it goes, then `{ result }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadProfiles } from '../profiles/index.js';
import { PgStore } from '../store/postgres/index.js';
import { SqliteStore } from '../store/sqlite/index.js';
import { runExtract } from './extract.js';
import type { ExtractJob } from './extract-in-worker.js';
import { projectKey } from './pseudonym.js';

const port = parentPort;
if (port === null) throw new Error('extract-thread must run in a worker thread');
const job = workerData as ExtractJob;
// The store the job names: the embedded SQLite file, or the shared PostgreSQL database.
const store = job.postgresUrl === undefined ? new SqliteStore(job.dbFile) : await PgStore.open(job.postgresUrl, { poolSize: 1 });
try {
  const result = await runExtract(job.request, {
    research: store.research,
    profiles: loadProfiles(job.profilesDir),
    key: projectKey(Buffer.from(job.secret), job.projectId),
    timeZone: job.timeZone,
    now: Date.now,
    generator: job.generator,
    onProgress: (progress) => port.postMessage({ progress }),
  });
  port.postMessage({ result });
} finally {
  await store.close();
}
