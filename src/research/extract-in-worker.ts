import { GatewayError, type Result } from '../domain/index.js';
import { siblingModule, startWorker } from '../workers/index.js';
import type { ExtractError, ExtractManifest, ExtractProgress, ExtractRequest } from './extract.js';

/** What the extract thread needs (all of it cloneable). */
export interface ExtractJob {
  readonly dbFile: string;
  /** The shared database instead of `dbFile`. */
  readonly postgresUrl?: string | undefined;
  readonly profilesDir: string;
  /** The research secret (the project's key is derived from it in the thread). */
  readonly secret: Uint8Array;
  readonly projectId: string;
  readonly request: ExtractRequest;
  readonly timeZone: string;
  readonly generator: string;
}

/**
 * The extract's heap, in MiB: it holds one patient's day and one row group at a time, so the
 * limit is a guarantee, not a hope. A year of 10 million values runs within it (`npm run bench`).
 */
export const EXTRACT_HEAP_MIB = { old: 96, young: 12 } as const;

/**
 * Runs `runExtract` in a worker thread whose heap is capped at EXTRACT_HEAP_MIB: memory stays flat
 * whatever the extract's size (and an extract that ever needed more would fail, not swap).
 */
export function extractInWorker(job: ExtractJob, onProgress: (p: ExtractProgress) => void): Promise<Result<ExtractManifest, ExtractError>> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(siblingModule(import.meta.url, 'extract-thread'), {
      workerData: { ...job },
      resourceLimits: { maxOldGenerationSizeMb: EXTRACT_HEAP_MIB.old, maxYoungGenerationSizeMb: EXTRACT_HEAP_MIB.young },
    });
    let result: Result<ExtractManifest, ExtractError> | undefined;
    worker.on('message', (m: { progress: ExtractProgress } | { result: Result<ExtractManifest, ExtractError> }) => {
      if ('progress' in m) onProgress(m.progress);
      else result = m.result;
    });
    worker.on('error', (e) => reject(new GatewayError('GW_RESEARCH_EXTRACT_FAILED', `research extract failed: ${e.message}`, { cause: e })));
    worker.on('exit', (code) => {
      if (result !== undefined) resolve(result);
      else reject(new GatewayError('GW_RESEARCH_EXTRACT_FAILED', `research extract thread ended (code ${code}) without a result`));
    });
  });
}
