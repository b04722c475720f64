import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on one of this package's modules, given as `new URL('./x.ts', import.meta.url)`
 * from a source file or `./x.js` from built code: from source it goes through a bootstrap that
 * registers the TypeScript loader first. The entry's own `workerData` is `options.workerData`.
 */
export function startWorker(entry: URL, options: WorkerOptions & { readonly workerData?: Record<string, unknown> }): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  return new Worker(new URL('./ts-bootstrap.mjs', import.meta.url), { ...options, workerData: { ...options.workerData, entry: entry.href } });
}

/** The URL of a sibling module of `base` (an `import.meta.url`), `.ts` from source and `.js` when built. */
export function siblingModule(base: string, name: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}
